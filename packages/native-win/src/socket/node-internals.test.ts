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
});
