// The server path on Linux: the listening SOCKET stays with the library, koffi.node.poll wakes it,
// accept() takes each connection, WSAQuerySocketSecurity checks it before Node sees it.

import { once } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import type { SecureServer, SecureSocket, SecureSocketBackend, ServerOptions } from '@wsasec/core';
import { closeServer, listenServer, SecureSocketError, TOKEN_QUERY } from '@wsasec/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNativeBackend, nativeBackendStats } from '../src/index.js';
import { FakeLibrary } from './support/fake-library.js';
import { IDENTITIES } from './support/fake-tokens.js';
import { roundTrip, stopAll, type Tracked, tracker, within } from './support/net-helpers.js';

let lib: FakeLibrary;
let backend: SecureSocketBackend;
let t: Tracked;
let servers: SecureServer[];

beforeEach(() => {
  lib = new FakeLibrary();
  backend = createNativeBackend({ library: lib });
  t = tracker();
  servers = [];
});
afterEach(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => closeServer(s)));
  await backend.close();
  await stopAll(t);
  expect(lib.violations).toEqual([]);
  expect(lib.leaks).toEqual({ handles: 0, pointers: 0 });
});

async function listen(security?: ServerOptions): Promise<{ server: SecureServer; port: number }> {
  const server = backend.createServer(security);
  servers.push(server);
  const address = await listenServer(server, { host: '127.0.0.1', port: 0 });
  return { server, port: address.port };
}

function plainClient(port: number): net.Socket {
  const client = net.connect({ host: '127.0.0.1', port });
  client.on('error', () => {});
  t.sockets.add(client);
  return client;
}

describe('secured server', () => {
  it('secures the listening SOCKET before bind, with SO_EXCLUSIVEADDRUSE', async () => {
    await listen({ security: { guaranteeEncryption: true } });
    const fd = lib.callsOf('WSASocketW').length && lib.callsOf('setsockopt')[0]?.socket;
    const order = lib.calls.filter((c) => c.socket === fd).map((c) => c.fn);
    expect(order.slice(0, 4)).toEqual(['setsockopt', 'WSASetSocketSecurity', 'bind', 'listen']);
    expect(lib.callsOf('setsockopt')[0]?.value).toEqual({ level: 0xffff, optname: -5 });
    expect(lib.callsOf('WSASetSocketSecurity')[0]).toMatchObject({ bound: false, connected: false, len: 8 });
  });

  it('queries each accepted connection before Node sees it, then hands it over; data both ways; tokens', async () => {
    const { server, port } = await listen({ security: {} });
    const accepted = once(server, 'connection') as Promise<[SecureSocket]>;
    const client = plainClient(port);
    const [socket] = await within(accepted);
    const acceptCall = lib.callsOf('accept')[0];
    const acceptedFd = acceptCall?.value as number;
    const firstUse = lib.calls.find((c) => c.socket === acceptedFd);
    expect(firstUse?.fn).toBe('WSAQuerySocketSecurity');
    expect(socket.remotePort).toBe(client.localPort);
    socket.on('data', (chunk) => socket.write(chunk));
    expect((await roundTrip(client, Buffer.from('hello server'))).toString()).toBe('hello server');
    using info = socket.querySecurity({ tokenAccess: TOKEN_QUERY });
    expect(info.secured).toBe(true);
    expect(info.peerApplicationToken?.user).toEqual({
      sid: IDENTITIES.alice.sid,
      name: 'alice',
      domain: 'CONTOSO',
    });
    expect(info.peerMachineToken?.user.name).toBe('CLIENT$');
    expect(nativeBackendStats(backend).openTokenHandles).toBe(2);
    expect(socket.impersonatePeer(() => backend.currentIdentity().name)).toBe('alice');
    expect(backend.currentIdentity().name).toBe('svc');
    expect(backend.accessCheck(info.peerApplicationToken!, 'D:(A;;GR;;;AU)', 0x80000000).granted).toBe(true);
    expect(backend.accessCheck(info.peerApplicationToken!, 'D:(A;;GR;;;BA)', 0x80000000).granted).toBe(false);
  });

  it('refuses a connection that is not secured although the listener does not allow insecure: nothing reaches the application', async () => {
    lib.query.flags = 0;
    const { server, port } = await listen({ security: {} });
    const connections: SecureSocket[] = [];
    server.on('connection', (s) => connections.push(s));
    const refused = once(server, 'negotiationError') as Promise<[SecureSocketError]>;
    const client = plainClient(port);
    client.write('secret request');
    const [error] = await within(refused);
    expect(SecureSocketError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_WSASEC_NEGOTIATION_FAILED', syscall: 'accept' });
    await within(new Promise((resolve) => client.once('close', resolve)));
    expect(connections).toEqual([]);
    const acceptedFd = lib.callsOf('accept')[0]?.value;
    expect(lib.callsOf('closesocket').map((c) => c.socket)).toContain(acceptedFd);
  });

  it('refuses an integrity-only connection when the listener guarantees encryption', async () => {
    lib.query.flags = 0x1;
    const { server, port } = await listen({ security: { guaranteeEncryption: true } });
    const refused = once(server, 'negotiationError') as Promise<[SecureSocketError]>;
    plainClient(port);
    const [error] = await within(refused);
    expect(error.message).toMatch(/not encrypted/);
  });

  it('accepts a clear-text connection under allowInsecure; impersonation then has no peer', async () => {
    lib.query.flags = 0;
    const { server, port } = await listen({ security: { allowInsecure: true } });
    const accepted = once(server, 'connection') as Promise<[SecureSocket]>;
    plainClient(port);
    const [socket] = await within(accepted);
    using info = socket.querySecurity({ tokenAccess: TOKEN_QUERY });
    expect(info).toMatchObject({ secured: false, flags: 0 });
    expect(info.peerApplicationToken).toBeUndefined();
    expect(() => socket.impersonatePeer(() => 1)).toThrow(expect.objectContaining({ code: 'WSAEINVAL' }));
  });

  it('refuses the connection when the pre-check query itself fails', async () => {
    const { server, port } = await listen({ security: {} });
    lib.fail('WSAQuerySocketSecurity', 10054);
    const refused = once(server, 'negotiationError') as Promise<[SecureSocketError]>;
    plainClient(port);
    const [error] = await within(refused);
    expect((error.cause as SecureSocketError).code).toBe('WSAECONNRESET');
  });

  it('serves HTTP: accepted sockets emitted into an ordinary http.Server, peer identity per request', async () => {
    const { server, port } = await listen({ security: {} });
    const web = http.createServer((req, res) => {
      const socket = req.socket as unknown as SecureSocket;
      const who = socket.impersonatePeer(() => backend.currentIdentity().name);
      res.end(`hello ${who}`);
    });
    t.servers.add(web);
    server.on('connection', (socket) => web.emit('connection', socket));
    const body = await within(
      new Promise<string>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c) => {
              text += c;
            });
            res.on('end', () => resolve(text));
          })
          .on('error', reject);
      }),
    );
    expect(body).toBe('hello alice');
  });

  it('stops accepting on close and closes its listening SOCKET', async () => {
    const { server, port } = await listen({ security: {} });
    const listener = lib.callsOf('listen')[0]?.socket;
    await closeServer(server);
    expect(lib.callsOf('closesocket').map((c) => c.socket)).toContain(listener);
    const client = plainClient(port);
    const [error] = (await within(once(client, 'error').catch((e) => [e]))) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });

  it("reports a failing bind with the WSA code, as net's listen errors: syscall 'listen', the address and port", async () => {
    lib.fail('bind', 10048);
    const server = backend.createServer({ security: {} });
    await expect(listenServer(server, { host: '127.0.0.1', port: 0 })).rejects.toMatchObject({
      code: 'WSAEADDRINUSE',
      syscall: 'listen',
      address: '127.0.0.1',
      port: 0,
      message: expect.stringContaining('bind to 127.0.0.1 port 0'),
    });
    // The SOCKET was the library's to close.
    expect(lib.callsOf('closesocket')).toHaveLength(1);
  });
});
