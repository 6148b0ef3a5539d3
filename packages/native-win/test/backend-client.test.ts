// The client path on Linux with real sockets (libc through koffi) and the fake secure socket
// functions: SOCKET → security → target name → hand-over to Node's TCP handle → connect.
import { once } from 'node:events';
import * as net from 'node:net';
import type { SecureSocket, SecureSocketBackend } from '@wsasec/core';
import { SecureSocketError } from '@wsasec/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNativeBackend, nativeBackendStats } from '../src/index.js';
import { newTcpHandle } from '../src/socket/node-internals.js';
import { FakeLibrary } from './support/fake-library.js';
import { echoServer, roundTrip, stopAll, type Tracked, tracker, within } from './support/net-helpers.js';

let lib: FakeLibrary;
let backend: SecureSocketBackend;
let t: Tracked;

beforeEach(() => {
  lib = new FakeLibrary();
  backend = createNativeBackend({ library: lib });
  t = tracker();
});
afterEach(async () => {
  await backend.close();
  await stopAll(t);
  expect(lib.violations).toEqual([]);
  expect(lib.leaks).toEqual({ handles: 0, pointers: 0 });
});

function fdOf(socket: net.Socket | SecureSocket): number | undefined {
  return (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
}

async function closed(socket: SecureSocket): Promise<void> {
  if (!socket.destroyed) socket.destroy();
  if (!(socket as unknown as { closed?: boolean }).closed) await within(once(socket, 'close'), 5000, 'close');
}

describe('secured client connect', () => {
  it('creates an overlapped, non-inheritable SOCKET, secures it before bind/connect, and carries data both ways on it', async () => {
    const { port } = await echoServer(t);
    const socket = await backend.connect({
      host: '127.0.0.1',
      port,
      security: { guaranteeEncryption: true },
      peerTargetName: 'host/server.contoso.com',
    });
    t.sockets.add(socket);
    const [create] = lib.callsOf('WSASocketW');
    expect(create?.value).toEqual({ af: 2, type: 1, protocol: 6, flags: 0x81 });
    const fd = lib.calls.find((c) => c.fn === 'WSASetSocketSecurity')?.socket as number;
    const calls = lib.calls.filter((c) => c.socket === fd);
    // Security and target name before bind/connect; then the query that verifies the connection
    // (size probe, then the buffer) before connect resolves.
    expect(calls.map((c) => c.fn)).toEqual([
      'WSASetSocketSecurity',
      'WSASetSocketPeerTargetName',
      'WSAQuerySocketSecurity',
      'WSAQuerySocketSecurity',
    ]);
    for (const call of calls.slice(0, 2)) expect(call).toMatchObject({ bound: false, connected: false });
    for (const call of calls.slice(2)) expect(call).toMatchObject({ bound: true, connected: true });
    // The connection runs on the SOCKET that carries the settings.
    expect(fdOf(socket)).toBe(fd);
    const payload = Buffer.from('ping over the secured SOCKET');
    expect((await roundTrip(socket, payload)).toString()).toBe(payload.toString());
    expect(socket.remotePort).toBe(port);
    await closed(socket);
    // Node owned the SOCKET after the hand-over: the library never closed it.
    expect(lib.callsOf('closesocket').filter((c) => c.socket === fd)).toEqual([]);
  });

  it('connects over IPv6 with an AF_INET6 (23) SOCKET', async () => {
    const { port } = await echoServer(t, '::1');
    const socket = await backend.connect({
      host: '::1',
      port,
      security: { protocol: 'ipsec2' },
      peerTargetName: 'h/x',
    });
    t.sockets.add(socket);
    expect(lib.callsOf('WSASocketW')[0]?.value).toMatchObject({ af: 23 });
    expect((await roundTrip(socket, Buffer.from('v6'))).toString()).toBe('v6');
    const name = lib.callsOf('WSASetSocketPeerTargetName')[0]?.bytes as Buffer;
    expect(name.readUInt32LE(136)).toBe(6); // IPSEC2: bytes
  });

  it('closes a SOCKET it still owns when the socket is destroyed before connect, exactly once', async () => {
    const socket = backend.createSocket();
    socket.setSecurity({ allowInsecure: true });
    const fd = lib.callsOf('WSASetSocketSecurity')[0]?.socket;
    socket.destroy();
    await once(socket, 'close');
    expect(lib.callsOf('closesocket').map((c) => c.socket)).toEqual([fd]);
    expect(nativeBackendStats(backend).openSockets).toBe(0);
  });

  it('fails closed when the connection does not run on the secured handle', async () => {
    const { port, received } = await echoServer(t);
    const socket = backend.createSocket();
    socket.setSecurity({});
    const original = (socket as unknown as { _handle: { close(): void } })._handle;
    const stranger = newTcpHandle('socket');
    const ownEmit = socket.emit;
    const attempt = once(socket.connect({ host: '127.0.0.1', port }), 'connect');
    expect(socket.connecting).toBe(true);
    // Wait until the SOCKET was handed to Node (the driver then routes the stream's emit).
    for (let i = 0; i < 20 && socket.emit === ownEmit; i++) await Promise.resolve();
    expect(socket.emit).not.toBe(ownEmit);
    // Stands for Node swapping the handle under the socket before 'connect' is emitted.
    const emit = socket.emit.bind(socket);
    socket.emit = ((event: string, ...args: unknown[]) => {
      if (event === 'connect') (socket as unknown as { _handle: unknown })._handle = stranger;
      return emit(event, ...args);
    }) as typeof socket.emit;
    // Queued while connecting: Node flushes it from a 'connect' listener.
    socket.write('must not be sent');
    let thrown: unknown;
    try {
      await attempt;
    } catch (error) {
      thrown = error;
    }
    expect(SecureSocketError.isInstance(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'ERR_WSASEC_INTERNAL' });
    expect((thrown as Error).message).toMatch(/does not run on the secured SOCKET/);
    expect(socket.destroyed).toBe(true);
    original.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Buffer.concat(received).length).toBe(0);
  });

  it('maps a refused connection to WSAECONNREFUSED and leaves the SOCKET to Node', async () => {
    const probe = await echoServer(t);
    const port = probe.port;
    await new Promise<void>((resolve) => probe.server.close(() => resolve()));
    t.servers.delete(probe.server);
    const attempt = backend.connect({ host: '127.0.0.1', port, security: {} });
    await expect(attempt).rejects.toMatchObject({ code: 'WSAECONNREFUSED', syscall: 'WSAConnect' });
    expect(lib.callsOf('closesocket')).toEqual([]);
  });

  it('aborts a connect through its signal', async () => {
    const { port } = await echoServer(t);
    const controller = new AbortController();
    const socket = backend.createSocket();
    socket.setSecurity({});
    const attempt = once(socket.connect({ host: '127.0.0.1', port, signal: controller.signal }), 'connect');
    controller.abort(new Error('changed my mind'));
    await expect(attempt).rejects.toMatchObject({ code: 'ERR_WSASEC_ABORTED', name: 'AbortError' });
    expect(socket.destroyed).toBe(true);
  });

  it('turns a failing WSASocketW into a SecureSocketError with its code', () => {
    lib.fail('WSASocketW', 10047);
    expect(() => backend.createSocket({ family: 'ipv6' })).toThrow(
      expect.objectContaining({ code: 'WSAEAFNOSUPPORT', errno: 10047, syscall: 'WSASocketW' }),
    );
  });

  it('queries a connected client socket and reads the server machine token', async () => {
    lib.query.application = undefined;
    const { port } = await echoServer(t);
    const socket = await backend.connect({ host: '127.0.0.1', port, security: {}, peerTargetName: 'host/s' });
    t.sockets.add(socket);
    using info = socket.querySecurity({ tokenAccess: 8 });
    expect(info).toMatchObject({ secured: true, encrypted: true, protocol: 'default' });
    expect(info.peerApplicationToken).toBeUndefined();
    expect(info.peerMachineToken?.user.name).toBe('CLIENT$');
    expect(nativeBackendStats(backend).openTokenHandles).toBe(1);
  });
});

describe('the two traps that silently drop security', () => {
  it('trap 1 exists in Node: without manualStart an unconnected adopted handle is destroyed and connect() makes a fresh, unsecured socket', async () => {
    const { port } = await echoServer(t);
    const fd = lib.WSASocketW(2, 1, 6, null, 0, 0x81);
    lib.WSASetSocketSecurity(fd, null, 0);
    const handle = newTcpHandle('socket');
    expect(handle.open(fd)).toBe(0);
    const naive = new net.Socket({ handle } as net.SocketConstructorOpts);
    const errors: Error[] = [];
    naive.on('error', (error) => errors.push(error));
    await new Promise((resolve) => naive.once('close', resolve));
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOTCONN']);
    lib.sockets.delete(fd); // Node closed it.
    naive.connect({ port, host: '127.0.0.1' });
    await once(naive, 'connect');
    expect(fdOf(naive)).not.toBe(undefined);
    expect(lib.sockets.has(fdOf(naive) as number)).toBe(false); // not a SOCKET that was secured
    naive.destroy();
  });

  it('the backend does not fall into trap 1: its socket survives until connect and connects on the secured SOCKET', async () => {
    const { port } = await echoServer(t);
    const socket = backend.createSocket();
    socket.setSecurity({ guaranteeEncryption: true });
    const fd = lib.callsOf('WSASetSocketSecurity')[0]?.socket;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(socket.destroyed).toBe(false);
    await once(socket.connect({ host: '127.0.0.1', port }), 'connect');
    t.sockets.add(socket);
    expect(fdOf(socket)).toBe(fd);
  });

  it('trap 2 exists in Node: Happy Eyeballs replaces an adopted handle', async () => {
    const { port } = await echoServer(t);
    const handle = newTcpHandle('socket');
    const socket = new net.Socket({ handle, manualStart: true } as net.SocketConstructorOpts);
    socket.on('error', () => {});
    socket.connect({
      host: 'dual.test',
      port,
      autoSelectFamily: true,
      lookup: ((
        _host: string,
        _opts: unknown,
        cb: (e: null, a: { address: string; family: number }[]) => void,
      ) =>
        cb(null, [
          { address: '::1', family: 6 },
          { address: '127.0.0.1', family: 4 },
        ])) as never,
    });
    await once(socket, 'connect');
    expect((socket as unknown as { _handle: unknown })._handle).not.toBe(handle);
    socket.destroy();
  });

  it('the backend does not fall into trap 2: a host name is resolved by the library, each address gets its own secured SOCKET', async () => {
    const { port } = await echoServer(t, '127.0.0.1');
    await backend.close();
    const lookups: string[] = [];
    backend = createNativeBackend({
      library: lib,
      lookup: async (host) => {
        lookups.push(host);
        return [
          { address: '::1', family: 6 },
          { address: '127.0.0.1', family: 4 },
        ];
      },
    });
    const socket = await backend.connect({
      host: 'dual.test',
      port,
      security: {},
      peerTargetName: 'host/dual.test',
    });
    t.sockets.add(socket);
    expect(lookups).toEqual(['dual.test']);
    expect(lib.callsOf('WSASocketW').map((c) => (c.value as { af: number }).af)).toEqual([23, 2]);
    const secured = lib.callsOf('WSASetSocketSecurity').map((c) => c.socket);
    expect(secured).toHaveLength(2);
    expect(lib.callsOf('WSASetSocketPeerTargetName').map((c) => c.socket)).toEqual(secured);
    expect(fdOf(socket)).toBe(secured[1]);
    expect(socket.remoteAddress).toBe('127.0.0.1');
  });
});
