import { createRequire, syncBuiltinESMExports } from 'node:module';
import type * as net from 'node:net';
import { SecureSocketError } from '@wsasec/core';
import { afterEach, describe, expect, it, vi } from 'vitest';

const require = createRequire(import.meta.url);
const netCjs = require('node:net') as typeof net;
const OriginalSocket = netCjs.Socket;
const originalBinding = (process as unknown as { binding: unknown }).binding;

afterEach(() => {
  netCjs.Socket = OriginalSocket;
  syncBuiltinESMExports();
  (process as unknown as { binding: unknown }).binding = originalBinding;
  vi.resetModules();
});

async function fresh() {
  vi.resetModules();
  return import('./node-internals.js');
}

describe('Node internals', () => {
  it('pass the self-test on this Node', async () => {
    const m = await fresh();
    expect(() => m.selfTestNodeInternals()).not.toThrow();
    const handle = m.newTcpHandle('socket');
    expect(typeof handle.open).toBe('function');
    handle.close();
  });

  it('reach tcp_wrap without process.binding (which throws under the permission model)', async () => {
    const real = (process as unknown as { binding(name: string): { TCP: unknown } }).binding('tcp_wrap').TCP;
    (process as unknown as { binding: unknown }).binding = () => {
      throw new Error('Access to this API has been restricted');
    };
    const m = await fresh();
    expect(m.tcpBinding().TCP).toBe(real);
    expect(m.tcpBinding().constants).toEqual({ SOCKET: 0, SERVER: 1 });
    expect(() => m.selfTestNodeInternals()).not.toThrow();
  });

  it('fail loudly when net.Socket stops honouring manualStart', async () => {
    netCjs.Socket = class extends OriginalSocket {
      constructor(opts?: net.SocketConstructorOpts) {
        super({ ...opts, manualStart: false } as net.SocketConstructorOpts);
      }
    } as typeof net.Socket;
    syncBuiltinESMExports();
    const m = await fresh();
    let thrown: unknown;
    try {
      m.selfTestNodeInternals();
    } catch (error) {
      thrown = error;
    }
    expect(SecureSocketError.isInstance(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'ERR_WSASEC_UNSUPPORTED_PLATFORM' });
    expect((thrown as Error).message).toMatch(/ignores manualStart/);
  });

  it('fail loudly when net.Socket stops honouring pauseOnCreate (pauseOnConnect servers)', async () => {
    netCjs.Socket = class extends OriginalSocket {
      constructor(opts?: net.SocketConstructorOpts) {
        super({ ...opts, pauseOnCreate: false } as net.SocketConstructorOpts);
      }
    } as typeof net.Socket;
    syncBuiltinESMExports();
    const m = await fresh();
    expect(() => m.selfTestNodeInternals()).toThrow(/ignores pauseOnCreate/);
  });

  it('fail loudly when connect replaces the adopted handle', async () => {
    const connect = OriginalSocket.prototype.connect;
    netCjs.Socket = class extends OriginalSocket {} as typeof net.Socket;
    netCjs.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      (this as unknown as { _handle: unknown })._handle = { stranger: true, close() {}, readStop() {} };
      return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
    } as never;
    syncBuiltinESMExports();
    const m = await fresh();
    expect(() => m.selfTestNodeInternals()).toThrow(/replaced the adopted handle/);
  });

  it('fail loudly, naming the method, when tcp_wrap TCP has no open', async () => {
    const real = (
      process as unknown as { binding(name: string): { TCP: new (t: number) => object } }
    ).binding('tcp_wrap');
    class TcpWithoutOpen {}
    for (const method of ['connect', 'connect6', 'readStart', 'close', 'getpeername'])
      Object.defineProperty(TcpWithoutOpen.prototype, method, { value: () => 0 });
    (process as unknown as { binding: unknown }).binding = (name: string) =>
      name === 'tcp_wrap' ? { ...real, TCP: TcpWithoutOpen } : originalBinding;
    const m = await fresh();
    let thrown: unknown;
    try {
      m.selfTestNodeInternals();
    } catch (error) {
      thrown = error;
    }
    expect(SecureSocketError.isInstance(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'ERR_WSASEC_UNSUPPORTED_PLATFORM' });
    expect((thrown as Error).message).toMatch(/TCP\.prototype\.open is missing/);
  });

  it('fail loudly when net.Socket keeps its handle somewhere other than _handle', async () => {
    netCjs.Socket = class extends OriginalSocket {
      constructor(opts?: net.SocketConstructorOpts) {
        super(opts);
        const self = this as unknown as { _handle: unknown; kHandle?: unknown };
        self.kHandle = self._handle;
        self._handle = null;
      }
    } as typeof net.Socket;
    syncBuiltinESMExports();
    const m = await fresh();
    expect(() => m.selfTestNodeInternals()).toThrow(/no longer keeps its handle in _handle/);
  });

  it("fail loudly when net's _write stops going through this._writeGeneric (the write hold)", async () => {
    netCjs.Socket = class extends OriginalSocket {} as typeof net.Socket;
    Object.defineProperty(netCjs.Socket.prototype, '_write', {
      configurable: true,
      value(_data: unknown, _encoding: string, cb: () => void) {
        cb();
      },
    });
    syncBuiltinESMExports();
    const m = await fresh();
    expect(() => m.selfTestNodeInternals()).toThrow(/no longer go through this\._writeGeneric/);
  });
});

describe('holdWritesUntilConnect', () => {
  async function loopback() {
    const received: Buffer[] = [];
    const ended: boolean[] = [];
    const server = netCjs.createServer((peer) => {
      peer.on('data', (chunk: Buffer) => received.push(chunk));
      peer.on('end', () => ended.push(true));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    return { server, port, received, ended };
  }
  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it('holds writes and the end made before and during the connect until released, then sends them in order', async () => {
    const m = await fresh();
    const { server, port, received, ended } = await loopback();
    try {
      const socket = m.socketOnUnconnectedHandle(m.newTcpHandle('socket'));
      const release = m.holdWritesUntilConnect(socket);
      const done: string[] = [];
      socket.write('before connect ', () => done.push('first'));
      socket.write('and more', () => done.push('second'));
      const connected = new Promise((resolve) => socket.once('connect', resolve));
      m.connectOnHandle(socket, '127.0.0.1', port, 4);
      socket.end();
      await connected;
      // Node's own 'connect' came and went: the connection is up, but not yet released.
      await turns(20);
      expect(Buffer.concat(received).toString()).toBe('');
      expect(done).toEqual([]);
      release();
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.emit('connect');
      await closed;
      for (let i = 0; i < 50 && ended.length === 0; i++) await turns(1);
      expect(Buffer.concat(received).toString()).toBe('before connect and more');
      expect(done).toEqual(['first', 'second']);
      expect(ended).toEqual([true]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("fails a held write with net's ERR_SOCKET_CLOSED_BEFORE_CONNECTION when destroyed first, and sends nothing", async () => {
    const m = await fresh();
    const { server, port, received } = await loopback();
    try {
      const socket = m.socketOnUnconnectedHandle(m.newTcpHandle('socket'));
      m.holdWritesUntilConnect(socket);
      const errors: unknown[] = [];
      socket.write('secret', (error) => errors.push(error));
      socket.write('later', (error) => errors.push(error));
      const connected = new Promise((resolve) => socket.once('connect', resolve));
      m.connectOnHandle(socket, '127.0.0.1', port, 4);
      await connected;
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.destroy();
      await closed;
      await turns(20);
      // net itself, side by side: the same two writes on a socket destroyed while connecting.
      const plain = netCjs.connect(port, '127.0.0.1');
      const plainErrors: unknown[] = [];
      plain.write('secret', (error) => plainErrors.push(error));
      plain.write('later', (error) => plainErrors.push(error));
      const plainClosed = new Promise((resolve) => plain.once('close', resolve));
      plain.destroy();
      await plainClosed;
      await turns(5);
      const codes = (list: unknown[]) => list.map((e) => (e as { code?: string }).code);
      expect(codes(plainErrors)).toEqual([
        'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
        'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
      ]);
      expect(codes(errors)).toEqual(codes(plainErrors));
      expect((errors[0] as Error).name).toBe('Error');
      expect(Buffer.concat(received).toString()).toBe('');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
