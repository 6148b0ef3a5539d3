// Datagram I/O over the Linux test library: real UDP sockets through libc, watched with
// koffi.node.poll, read with recvfrom until WSAEWOULDBLOCK and written with sendto.
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import type { DatagramRemoteInfo, SecureDatagramSocket, SecureSocketBackend } from '@wsasec/core';
import { TOKEN_QUERY } from '@wsasec/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNativeBackend, nativeBackendStats } from '../src/index.js';
import { FakeLibrary } from './support/fake-library.js';
import { within } from './support/net-helpers.js';

let lib: FakeLibrary;
let backend: SecureSocketBackend;
const plain: dgram.Socket[] = [];

beforeEach(() => {
  lib = new FakeLibrary();
  backend = createNativeBackend({ library: lib });
});
afterEach(async () => {
  await Promise.all(plain.splice(0).map((p) => new Promise<void>((resolve) => p.close(() => resolve()))));
  await backend.close();
  expect(nativeBackendStats(backend).openSockets).toBe(0);
  expect(lib.violations).toEqual([]);
  expect(lib.leaks).toEqual({ handles: 0, pointers: 0 });
});

function nextMessage(socket: SecureDatagramSocket): Promise<[Buffer, DatagramRemoteInfo]> {
  return within(
    new Promise((resolve) => socket.once('message', (m: Buffer, r: DatagramRemoteInfo) => resolve([m, r]))),
    5000,
    'a datagram',
  );
}

describe('native-win datagram sockets', () => {
  it('binds exclusively, sends with sendto and receives with recvfrom (IPv4, both ways)', async () => {
    const server = backend.createSocket({ type: 'dgram' });
    server.setSecurity({ guaranteeEncryption: true });
    const bound = await server.bind({ address: '127.0.0.1' });
    expect(bound.port).toBeGreaterThan(0);
    const client = backend.createSocket({ type: 'dgram' });
    client.setSecurity({ guaranteeEncryption: true });
    const peer = { address: '127.0.0.1', port: bound.port };
    client.setPeerTargetName({ name: 'host/server.contoso.com', peerAddress: peer });
    const arriving = nextMessage(server);
    await client.send('ping', peer);
    const [msg, rinfo] = await arriving;
    expect(msg.toString()).toBe('ping');
    expect(rinfo).toMatchObject({
      address: '127.0.0.1',
      family: 'IPv4',
      port: client.address().port,
      size: 4,
    });
    const reply = nextMessage(client);
    await server.send(Buffer.from('pong'), { address: rinfo.address, port: rinfo.port });
    expect((await reply)[0].toString()).toBe('pong');
    // Security before bind, the name before the first sendto; the sockaddr passed is 16 bytes.
    const order = lib.calls.map((c) => c.fn);
    expect(order.indexOf('WSASetSocketPeerTargetName')).toBeLessThan(order.indexOf('sendto'));
    expect(lib.callsOf('sendto')[0]?.len).toBe(16);
    const exclusive = lib.callsOf('setsockopt').map((c) => c.value);
    expect(exclusive).toContainEqual({ level: 0xffff, optname: -5 });
    using info = server.querySecurity({
      peerAddress: { address: rinfo.address, port: rinfo.port },
      tokenAccess: TOKEN_QUERY,
    });
    expect(info.peerMachineToken?.user.name).toBeDefined();
    const template = lib.callsOf('WSAQuerySocketSecurity').at(-1)?.bytes as Buffer;
    expect(template.readUInt16LE(8)).toBe(2);
    expect(template.readUInt16BE(10)).toBe(rinfo.port);
  });

  it('IPv6: a datagram from a Node dgram peer arrives with its address, and many arrive in one wake-up', async () => {
    const socket = backend.createSocket({ type: 'dgram', family: 'ipv6' });
    const { port } = await socket.bind({ address: '::1' });
    const peer = dgram.createSocket('udp6');
    plain.push(peer);
    await new Promise<void>((resolve) => peer.bind(0, '::1', resolve));
    const got: string[] = [];
    const all = within(
      new Promise<void>((resolve) =>
        socket.on('message', (m: Buffer, r: DatagramRemoteInfo) => {
          expect(r).toMatchObject({ address: '::1', family: 'IPv6', port: peer.address().port });
          got.push(m.toString());
          if (got.length === 100) resolve();
        }),
      ),
      5000,
      '100 datagrams',
    );
    for (let i = 0; i < 100; i++) peer.send(`d${i}`, port, '::1');
    await all;
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `d${i}`));
    expect(lib.callsOf('sendto')).toHaveLength(0);
  });

  it('an ICMP reset reported by recvfrom does not end the socket', async () => {
    const socket = backend.createSocket({ type: 'dgram' });
    const { port } = await socket.bind({ address: '127.0.0.1' });
    const errors: unknown[] = [];
    socket.on('error', (e) => errors.push(e));
    lib.fail('recvfrom', 10054, 1);
    const peer = dgram.createSocket('udp4');
    plain.push(peer);
    const arriving = nextMessage(socket);
    peer.send('after the reset', port, '127.0.0.1');
    expect((await arriving)[0].toString()).toBe('after the reset');
    expect(errors).toEqual([]);
  });

  it('a sendto failure rejects the send with its WSA code; close releases the poll and the SOCKET once', async () => {
    const socket = backend.createSocket({ type: 'dgram' });
    await socket.bind({ address: '127.0.0.1' });
    lib.fail('sendto', 10051, 1);
    await expect(socket.send('x', { address: '127.0.0.1', port: 9 })).rejects.toMatchObject({
      code: 'WSAENETUNREACH',
      syscall: 'WSASendTo',
    });
    socket.unref();
    socket.ref();
    const closed = once(socket, 'close');
    socket.close();
    await closed;
    expect(lib.callsOf('closesocket')).toHaveLength(1);
    expect(nativeBackendStats(backend).openSockets).toBe(0);
  });

  it('a bind the library refuses is reported with its code and the socket stays usable for another bind', async () => {
    const socket = backend.createSocket({ type: 'dgram' });
    lib.fail('bind', 10048, 1);
    await expect(socket.bind({ address: '127.0.0.1', port: 1 })).rejects.toMatchObject({
      code: 'WSAEADDRINUSE',
    });
    expect((await socket.bind({ address: '127.0.0.1' })).port).toBeGreaterThan(0);
  });
});
