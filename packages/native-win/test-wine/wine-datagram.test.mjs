// Datagram sockets inside Windows Node: a UDP SOCKET from WSASocketW, secured and named per peer
// through the fwpuclnt.dll double, carrying datagrams through Wine's Winsock with koffi.node.poll,
// recvfrom and sendto (Node's dgram cannot adopt a Windows SOCKET).
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import { after, beforeEach, describe, it } from 'node:test';
import { createNativeBackend, nativeBackendStats } from '../dist/index.js';
import { double, socketsOf, win } from './support.mjs';

const TOKEN_QUERY = 0x8;
const backend = createNativeBackend();
beforeEach(() => double.reset());
after(() => backend.close());

function nextMessage(socket, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no datagram within 5 s')), ms);
    socket.once('message', (msg, rinfo) => {
      clearTimeout(timer);
      resolve([msg, rinfo]);
    });
  });
}

describe('datagram sockets on Windows Node', () => {
  it('Node dgram refuses a Windows SOCKET (why the backend polls with koffi instead)', async () => {
    const probe = backend.createSocket({ type: 'dgram' });
    await probe.bind({ address: '127.0.0.1' });
    const node = dgram.createSocket('udp4');
    const refused = await new Promise((resolve) => {
      node.once('error', (e) => resolve(e.code));
      try {
        // Any SOCKET number: guessHandleType answers UNKNOWN for every one of them.
        node.bind({ fd: 4 }, () => resolve('bound'));
      } catch (e) {
        resolve(e.code);
      }
    });
    assert.equal(refused, 'ERR_INVALID_FD_TYPE');
    probe.close();
    await once(probe, 'close');
  });

  it('secures before bind, names the peer before the first sendto, and carries datagrams both ways', async () => {
    const server = backend.createSocket({ type: 'dgram' });
    server.setSecurity({ guaranteeEncryption: true });
    const { port } = await server.bind({ address: '127.0.0.1' });
    const client = backend.createSocket({ type: 'dgram' });
    client.setSecurity({ guaranteeEncryption: true });
    const peer = { address: '127.0.0.1', port };
    client.setPeerTargetName({ name: 'host/server.contoso.test', peerAddress: peer });
    const arriving = nextMessage(server);
    await client.send('ping over udp', peer);
    const [msg, rinfo] = await arriving;
    assert.equal(msg.toString(), 'ping over udp');
    assert.equal(rinfo.port, client.address().port);
    const reply = nextMessage(client);
    await server.send('pong', { address: rinfo.address, port: rinfo.port });
    assert.equal((await reply)[0].toString(), 'pong');

    const records = double.records();
    const [serverSocket] = socketsOf(records, 'WSASetSocketSecurity');
    const setSecurity = records.filter((r) => r.fn === 'WSASetSocketSecurity');
    assert.deepEqual(
      setSecurity.map((r) => r.bound),
      [false, false],
    );
    const target = records.find((r) => r.fn === 'WSASetSocketPeerTargetName');
    assert.equal(target.bound, false);
    // SOCKET_PEER_TARGET_NAME.PeerAddress: AF_INET, the server's port.
    assert.equal(target.bytes.readUInt16LE(8), 2);
    assert.equal(target.bytes.readUInt16BE(10), port);
    assert.equal(win.localPort(serverSocket), port);

    double.scriptQuery({ flags: 3, tokens: true });
    const info = server.querySecurity({
      peerAddress: { address: rinfo.address, port: rinfo.port },
      tokenAccess: TOKEN_QUERY,
    });
    assert.equal(info.encrypted, true);
    info.close();
    const query = double.records().find((r) => r.fn === 'WSAQuerySocketSecurity');
    assert.equal(query.len, 144);
    assert.equal(query.bytes.readUInt16BE(10), rinfo.port);
    assert.equal(double.liveTokens(), 0);

    for (const s of [client, server]) {
      s.close();
      await once(s, 'close');
    }
    assert.equal(nativeBackendStats(backend).openSockets, 0);
  });

  it('receives many datagrams from a Node dgram peer, in order, and sends back to it', async () => {
    const socket = backend.createSocket({ type: 'dgram' });
    const { port } = await socket.bind({ address: '127.0.0.1' });
    const node = dgram.createSocket('udp4');
    await new Promise((resolve) => node.bind(0, '127.0.0.1', resolve));
    const got = [];
    const all = new Promise((resolve) =>
      socket.on('message', (m) => {
        got.push(m.toString());
        if (got.length === 50) resolve();
      }),
    );
    for (let i = 0; i < 50; i++) node.send(`d${i}`, port, '127.0.0.1');
    await all;
    assert.deepEqual(
      got,
      Array.from({ length: 50 }, (_, i) => `d${i}`),
    );
    const reply = new Promise((resolve) => node.once('message', (m) => resolve(m.toString())));
    await socket.send('to node', { address: '127.0.0.1', port: node.address().port });
    assert.equal(await reply, 'to node');
    await new Promise((resolve) => node.close(resolve));
    socket.close();
    await once(socket, 'close');
  });
});
