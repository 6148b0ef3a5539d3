// The client path inside Windows Node: real koffi on Windows, real Winsock (Wine's ws2_32), Node's
// Windows libuv, and the fwpuclnt.dll double for the secure socket functions.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { createNativeBackend, nativeBackendStats } from '../dist/index.js';
import { double, peer, roundTrip, socketsOf, win } from './support.mjs';

const backend = createNativeBackend();
const opened = new Set();

beforeEach(() => double.reset());
afterEach(() => {
  for (const s of opened) s.destroy();
  opened.clear();
});
after(() => backend.close());

async function secured(opts = {}) {
  const socket = await backend.connect({
    host: '127.0.0.1',
    port: peer.echoPort,
    security: { guaranteeEncryption: true },
    peerTargetName: 'host/linux.example.test',
    ...opts,
  });
  opened.add(socket);
  return socket;
}

describe('secured client on Windows Node', () => {
  it('runs on win32 with the real DLLs', () => {
    assert.equal(process.platform, 'win32');
  });

  it('connects to the Linux-side server and carries data both ways on the secured SOCKET', async () => {
    const socket = await secured();
    const records = double.records();
    const [setSecurity, setTarget] = records;
    assert.equal(setSecurity.fn, 'WSASetSocketSecurity');
    assert.equal(setTarget.fn, 'WSASetSocketPeerTargetName');
    assert.equal(setSecurity.socket, setTarget.socket);
    // Set while the library owned the SOCKET: neither bound nor connected yet.
    assert.deepEqual(
      [setSecurity.bound, setSecurity.connected, setTarget.bound, setTarget.connected],
      [false, false, false, false],
    );
    assert.equal(setSecurity.len, 8);
    assert.equal(setSecurity.bytes.toString('hex'), '0000000001000000');
    const name = 'host/linux.example.test';
    assert.equal(setTarget.len, 144 + name.length * 2);
    assert.equal(setTarget.bytes.readUInt32LE(136), name.length);
    assert.equal(setTarget.bytes.subarray(140, 140 + name.length * 2).toString('utf16le'), name);
    // Winsock itself says the connection's local port is that SOCKET's.
    assert.equal(win.localPort(setSecurity.socket), socket.localPort);
    const payload = Buffer.alloc(256 * 1024, 'wsasec');
    const echoed = await roundTrip(socket, payload);
    assert.equal(echoed.length, payload.length);
    assert.ok(echoed.equals(payload));
  });

  it('queries the connection: flags from the double, size probe with WSAEMSGSIZE then the buffer', async () => {
    const socket = await secured();
    double.reset();
    const info = socket.querySecurity();
    info.close();
    assert.deepEqual([info.secured, info.encrypted, info.flags], [true, true, 3]);
    const q = double.records().filter((r) => r.fn === 'WSAQuerySocketSecurity');
    assert.deepEqual(
      q.map((r) => [r.bufferNull, r.infoNull, r.infoLen]),
      [
        [true, true, 0],
        [true, false, 24],
      ],
    );
  });

  it('accepts WSAEFAULT as the size answer too (Microsoft sample behaviour)', async () => {
    const socket = await secured();
    double.scriptQuery({ flags: 1, probe: 10014 });
    const info = socket.querySecurity();
    info.close();
    assert.deepEqual([info.secured, info.encrypted], [true, false]);
  });

  it('reads the IPSEC2 fields when 64 bytes come back', async () => {
    const socket = await secured({ security: { protocol: 'ipsec2' } });
    const info = socket.querySecurity({ ipsec2: { fieldMask: 3 } });
    info.close();
    assert.equal(info.mmSaId, 0x1122334455667788n);
    assert.equal(info.qmSaId, 42n);
    assert.equal(info.saLookupContext, '6b29fc40-ca47-1067-b31d-00dd010662da');
    const template = double.records().findLast((r) => r.fn === 'WSAQuerySocketSecurity');
    assert.equal(template.len, 152);
  });

  it('encodes IPsec settings with policy keys and credentials for the real call', async () => {
    await secured({
      security: {
        protocol: 'ipsec',
        ipsec: {
          quickModePolicyKey: '8c2d4144-f8e0-42c0-94ce-7ccfc63b2f9b',
          credentials: { user: 'CONTOSO\\bob', password: 'pw' },
        },
      },
    });
    const [set] = double.records();
    assert.equal(set.len, 88 + 6 + 14 + 4);
    assert.equal(set.bytes.subarray(28, 44).toString('hex'), '44412d8ce0f8c04294ce7ccfc63b2f9b');
    assert.equal(set.bytes.subarray(84, 108).toString('utf16le'), 'bobCONTOSOpw');
  });

  it('closes nothing it handed to Node, and leaves no socket behind', async () => {
    const socket = await secured();
    socket.destroy();
    await once(socket, 'close');
    opened.delete(socket);
    assert.equal(nativeBackendStats(backend).openSockets, 0);
  });
});

describe('fail closed on Windows', () => {
  it('destroys a connection the query says is not secured, before anything written reaches the peer', async () => {
    const received = [];
    const server = net.createServer((s) => s.on('data', (d) => received.push(d)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      double.scriptQuery({ flags: 0 });
      const socket = backend.createSocket();
      opened.add(socket);
      socket.setSecurity({});
      socket.write('SECRET written before connect');
      await assert.rejects(
        once(socket.connect({ host: '127.0.0.1', port: server.address().port }), 'connect'),
        (e) => e.code === 'ERR_WSASEC_NEGOTIATION_FAILED',
      );
      assert.equal(socket.destroyed, true);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(Buffer.concat(received).length, 0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('creates and secures a UDP SOCKET, naming the peer by address (I/O: wine-datagram.test.mjs)', () => {
    const socket = backend.createSocket({ type: 'dgram' });
    opened.add({ destroy: () => socket.close() });
    socket.setSecurity({ protocol: 'ipsec', ipsec: { skipFilterInstantiation: true } });
    socket.setPeerTargetName({ name: 'host/udp', peerAddress: { address: '127.0.0.1', port: 500 } });
    const [set, target] = double.records();
    assert.equal(set.fn, 'WSASetSocketSecurity');
    assert.equal(set.len, 88);
    assert.equal(target.bytes.readUInt16LE(8), 2);
    assert.equal(target.bytes.readUInt16BE(10), 500);
    const info = socket.querySecurity({ peerAddress: { address: '127.0.0.1', port: 500 } });
    info.close();
    assert.equal(info.secured, true);
  });
});

describe('the two traps, on Windows', () => {
  it('trap 1 is real on Windows: without manualStart the adopted, unconnected SOCKET is destroyed (ENOTCONN)', async () => {
    const { newTcpHandleForTest } = await import('./internals.mjs');
    const s = win.blockingSocket();
    const handle = newTcpHandleForTest();
    assert.equal(handle.open(s), 0);
    const naive = new net.Socket({ handle });
    const errors = [];
    naive.on('error', (e) => errors.push(e.code));
    await new Promise((resolve) => naive.once('close', resolve));
    assert.deepEqual(errors, ['ENOTCONN']);
  });

  it('the backend does not fall into trap 1: its socket waits for connect and connects on the secured SOCKET', async () => {
    const socket = backend.createSocket();
    opened.add(socket);
    socket.setSecurity({ guaranteeEncryption: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(socket.destroyed, false);
    await once(socket.connect({ host: '127.0.0.1', port: peer.echoPort }), 'connect');
    const [sock] = socketsOf(double.records(), 'WSASetSocketSecurity');
    assert.equal(win.localPort(sock), socket.localPort);
  });

  it('trap 2 is real on Windows: Happy Eyeballs replaces an adopted handle', async () => {
    const { newTcpHandleForTest } = await import('./internals.mjs');
    const handle = newTcpHandleForTest();
    const socket = new net.Socket({ handle, manualStart: true });
    socket.on('error', () => {});
    socket.connect({
      host: 'dual.test',
      port: peer.echoPort,
      autoSelectFamily: true,
      lookup: (_h, _o, cb) =>
        cb(null, [
          { address: '::1', family: 6 },
          { address: '127.0.0.1', family: 4 },
        ]),
    });
    await once(socket, 'connect');
    assert.notEqual(socket._handle, handle);
    socket.destroy();
  });

  it('the backend does not fall into trap 2: one secured SOCKET per address, the connection on the last one', async () => {
    const dual = createNativeBackend({
      lookup: async () => [
        { address: '::1', family: 6 },
        { address: '127.0.0.1', family: 4 },
      ],
    });
    try {
      const socket = await dual.connect({
        host: 'dual.test',
        port: peer.echoPort,
        security: {},
        peerTargetName: 'h/d',
      });
      opened.add(socket);
      const secured = socketsOf(double.records(), 'WSASetSocketSecurity');
      assert.equal(secured.length, 2);
      assert.deepEqual(socketsOf(double.records(), 'WSASetSocketPeerTargetName'), secured);
      assert.equal(win.localPort(secured[1]), socket.localPort);
      assert.equal(socket.remoteAddress, '127.0.0.1');
    } finally {
      await dual.close();
    }
  });
});

describe('error injection, one per function', () => {
  const cases = [
    ['WSASetSocketSecurity', 10022, 'WSAEINVAL', (s) => s.setSecurity({})],
    ['WSASetSocketPeerTargetName', 10040, 'WSAEMSGSIZE', (s) => s.setPeerTargetName('host/x')],
    [
      'WSADeleteSocketPeerTargetName',
      10047,
      'WSAEAFNOSUPPORT',
      (s) => s.deletePeerTargetName({ address: '127.0.0.1', port: 1 }),
    ],
  ];
  for (const [fn, errno, code, call] of cases) {
    it(`${fn} → ${code} with errno and syscall`, () => {
      const socket = backend.createSocket();
      opened.add(socket);
      double.fail(fn, errno);
      assert.throws(
        () => call(socket),
        (e) => e.code === code && e.errno === errno && e.syscall === fn,
      );
    });
  }

  it('WSAQuerySocketSecurity → WSAECONNRESET', async () => {
    const socket = await secured();
    double.fail('WSAQuerySocketSecurity', 10054);
    assert.throws(
      () => socket.querySecurity(),
      (e) => e.code === 'WSAECONNRESET' && e.errno === 10054 && e.syscall === 'WSAQuerySocketSecurity',
    );
  });

  it('WSARevertImpersonation → WSASYSCALLFAILURE', () => {
    double.fail('WSARevertImpersonation', 10107);
    assert.throws(
      () => backend.revertImpersonation(),
      (e) => e.code === 'WSASYSCALLFAILURE' && e.syscall === 'WSARevertImpersonation',
    );
  });

  it('a refused connect is WSAECONNREFUSED, with the SOCKET left to Node', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address();
    await new Promise((resolve) => server.close(resolve));
    await assert.rejects(
      backend.connect({ host: '127.0.0.1', port, security: {} }),
      (e) => e.code === 'WSAECONNREFUSED',
    );
  });
});
