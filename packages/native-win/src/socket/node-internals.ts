/**
 * The only place that touches Node internals. Node never hands out its SOCKET on Windows, and
 * security must be set before bind/connect, so the backend creates the SOCKET itself and gives it to
 * Node's own `TCP` handle (`tcp_wrap`), so that libuv does all I/O. Three internals are used:
 * - `tcp_wrap`'s `TCP` class and its `constants.SOCKET` / `constants.SERVER`;
 * - `new net.Socket({ handle, manualStart: true })`: without `manualStart` the constructor reads from
 *   an unconnected handle, fails with ENOTCONN, destroys the handle and closes the SOCKET — and a
 *   later `connect()` silently makes a fresh, unsecured socket;
 * - `net.Socket.prototype.connect` with an IP literal and `autoSelectFamily: false`, which keeps the
 *   handle (Happy Eyeballs replaces it with a new `TCP` for each address tried).
 * {@link selfTestNodeInternals} checks all three and fails loudly when a Node version changes them.
 * @module
 */
import * as net from 'node:net';
import { closedBeforeConnection, SecureSocketError } from '@wsasec/core';

/** The part of libuv's `TCP` handle wrapper the backend uses. */
export interface TcpHandle {
  /** `uv_tcp_open`: 0, or a negative libuv error. */
  open(fd: number): number;
  close(callback?: () => void): void;
}

interface TcpBinding {
  TCP: new (type: number) => TcpHandle;
  constants: { SOCKET: number; SERVER: number };
}

let binding: TcpBinding | undefined;

function internalsChanged(what: string, cause?: unknown): SecureSocketError {
  return new SecureSocketError(
    'ERR_WSASEC_UNSUPPORTED_PLATFORM',
    `@wsasec/native-win cannot run on Node ${process.version}: ${what}. The backend hands its secured SOCKETs to Node's TCP handle; without this it would not be safe to continue.`,
    cause === undefined ? {} : { cause },
  );
}

function reachTcpWithoutBinding(): TcpBinding {
  // A socket that starts connecting to an IP literal gets its TCP handle synchronously; the
  // connect itself is deferred to the next tick, and destroy() cancels it.
  const probe = new net.Socket();
  probe.on('error', () => {});
  probe.connect({ host: '127.0.0.1', port: 9, autoSelectFamily: false });
  const handle = (probe as unknown as { _handle?: { constructor?: unknown } })._handle;
  probe.destroy();
  const TCP = handle?.constructor;
  if (typeof TCP !== 'function')
    throw internalsChanged('net.Socket no longer creates a TCP handle on connect');
  return { TCP: TCP as TcpBinding['TCP'], constants: { SOCKET: 0, SERVER: 1 } };
}

/** `tcp_wrap` (through `process.binding`, or, where that throws, through a throwaway socket). */
export function tcpBinding(): TcpBinding {
  if (binding) return binding;
  let found: TcpBinding | undefined;
  try {
    const b = (process as unknown as { binding(name: string): unknown }).binding('tcp_wrap') as TcpBinding;
    if (typeof b?.TCP === 'function' && typeof b.constants?.SOCKET === 'number') found = b;
  } catch {
    // process.binding throws under the permission model; the throwaway socket still works.
  }
  binding = found ?? reachTcpWithoutBinding();
  return binding;
}

/** A fresh, unopened TCP handle of the given kind. */
export function newTcpHandle(kind: 'socket' | 'server' = 'socket'): TcpHandle {
  const { TCP, constants } = tcpBinding();
  return new TCP(kind === 'socket' ? constants.SOCKET : constants.SERVER);
}

/** The handle a `net.Socket` currently runs on. */
export function handleOf(socket: net.Socket): unknown {
  return (socket as unknown as { _handle: unknown })._handle;
}

/**
 * A `net.Socket` on a handle that is not connected yet. `manualStart` keeps the constructor from
 * reading (trap 1 in the module comment).
 */
export function socketOnUnconnectedHandle(
  handle: TcpHandle,
  highWaterMarks: { readableHighWaterMark?: number; writableHighWaterMark?: number } = {},
): net.Socket {
  return new net.Socket({ handle, manualStart: true, ...highWaterMarks } as net.SocketConstructorOpts);
}

/**
 * A `net.Socket` on a handle whose SOCKET is already connected (accepted): reading starts at once,
 * unless `pauseOnCreate` (a pauseOnConnect server's connection), as net's `onconnection` makes it.
 */
export function socketOnConnectedHandle(handle: TcpHandle, pauseOnCreate = false): net.Socket {
  return new net.Socket({
    handle,
    readable: true,
    writable: true,
    pauseOnCreate,
  } as net.SocketConstructorOpts);
}

/**
 * Node's own connect on a socket whose handle is already set: an IP literal and no Happy Eyeballs,
 * so the handle (and the secured SOCKET in it) is the one that connects (trap 2).
 */
export function connectOnHandle(
  socket: net.Socket,
  address: string,
  port: number,
  family: 4 | 6,
  local: { localAddress?: string; localPort?: number } = {},
): void {
  // net binds a given local endpoint on the (opened, unbound) handle before it connects.
  const options: net.TcpNetConnectOpts = { host: address, port, family, autoSelectFamily: false, ...local };
  (net.Socket.prototype.connect as (this: net.Socket, opts: net.TcpNetConnectOpts) => net.Socket).call(
    socket,
    options,
  );
}

type WriteGeneric = (
  writev: boolean,
  data: unknown,
  encoding: string,
  cb: (error?: Error | null) => void,
) => void;

interface NetSocketInternals {
  _writeGeneric: WriteGeneric;
  _final(cb: (error?: Error | null) => void): void;
  _pendingData: unknown;
  _pendingEncoding: string;
}

/**
 * Holds every write and the end of a client socket, as net holds them while a socket is connecting
 * (its `_writeGeneric` and `_final`), until the returned `release` is called: nothing reaches the
 * SOCKET before its security is verified, however early it was written (before `connect()`
 * included, where net itself would write to the unopened handle). After `release()`, what was held
 * goes out on the next `'connect'`; a socket closed first fails the held write's callback with
 * net's `ERR_SOCKET_CLOSED_BEFORE_CONNECTION` (and the stream gives the writes queued behind it the
 * same error, as on net).
 */
export function holdWritesUntilConnect(socket: net.Socket): () => void {
  const own = socket as unknown as NetSocketInternals;
  function heldWrite(this: NetSocketInternals & net.Socket, ...args: Parameters<WriteGeneric>): void {
    const [writev, data, encoding, cb] = args;
    this._pendingData = data;
    this._pendingEncoding = encoding;
    const onClose = () => cb(closedBeforeConnection());
    this.once('connect', function connect(this: NetSocketInternals & net.Socket) {
      this.off('close', onClose);
      this._writeGeneric(writev, data, encoding, cb);
    });
    this.once('close', onClose);
  }
  function heldFinal(this: NetSocketInternals & net.Socket, cb: (error?: Error | null) => void): void {
    this.once('connect', () => this._final(cb));
  }
  Object.defineProperties(own, {
    _writeGeneric: { configurable: true, writable: true, value: heldWrite },
    _final: { configurable: true, writable: true, value: heldFinal },
  });
  return () => {
    const record = own as unknown as Record<string, unknown>;
    if (record._writeGeneric === heldWrite) delete record._writeGeneric;
    if (record._final === heldFinal) delete record._final;
  };
}

interface FakeHandle {
  reading: boolean;
  calls: string[];
  getAsyncId(): number;
  readStart(): number;
  readStop(): number;
  close(callback?: () => void): void;
}

function fakeHandle(): FakeHandle {
  const calls: string[] = [];
  return {
    reading: false,
    calls,
    getAsyncId: () => -1,
    readStart: () => {
      calls.push('readStart');
      return 0;
    },
    readStop: () => {
      calls.push('readStop');
      return 0;
    },
    close: (callback) => {
      calls.push('close');
      if (callback) setImmediate(callback);
    },
  };
}

let selfTested = false;

/**
 * Checks, synchronously and without a network, that the Node internals this backend relies on still
 * behave as it expects: `tcp_wrap` has `TCP` with `open`; `manualStart` keeps `net.Socket` from
 * reading a fresh handle (and leaving it out still reads, so the option still matters); Node's
 * connect with an IP literal and `autoSelectFamily: false` keeps the handle it was given.
 * @throws SecureSocketError ERR_WSASEC_UNSUPPORTED_PLATFORM naming what changed.
 */
export function selfTestNodeInternals(): void {
  if (selfTested) return;
  const { TCP, constants } = tcpBinding();
  if (typeof constants.SOCKET !== 'number' || typeof constants.SERVER !== 'number')
    throw internalsChanged('tcp_wrap constants SOCKET/SERVER are missing');
  for (const method of ['open', 'connect', 'connect6', 'readStart', 'close', 'getpeername']) {
    if (typeof (TCP.prototype as unknown as Record<string, unknown>)[method] !== 'function')
      throw internalsChanged(`tcp_wrap TCP.prototype.${method} is missing`);
  }
  const manual = fakeHandle();
  const auto = fakeHandle();
  const connecting = fakeHandle();
  const sockets: net.Socket[] = [];
  try {
    sockets.push(
      new net.Socket({ handle: manual, manualStart: true } as unknown as net.SocketConstructorOpts),
    );
    if (handleOf(sockets[0] as net.Socket) !== manual)
      throw internalsChanged('net.Socket no longer keeps its handle in _handle');
    if (manual.calls.includes('readStart'))
      throw internalsChanged('net.Socket ignores manualStart and reads an unconnected handle');
    sockets.push(new net.Socket({ handle: auto } as unknown as net.SocketConstructorOpts));
    if (!auto.calls.includes('readStart'))
      throw internalsChanged(
        'net.Socket no longer starts reading an adopted handle (manualStart semantics changed)',
      );
    // An accepted connection of a pauseOnConnect server: net's pauseOnCreate must keep it unread.
    const paused = fakeHandle();
    sockets.push(
      new net.Socket({ handle: paused, pauseOnCreate: true } as unknown as net.SocketConstructorOpts),
    );
    if (paused.calls.includes('readStart'))
      throw internalsChanged('net.Socket ignores pauseOnCreate and reads an adopted handle');
    const socket = new net.Socket({
      handle: connecting,
      manualStart: true,
    } as unknown as net.SocketConstructorOpts);
    sockets.push(socket);
    connectOnHandle(socket, '127.0.0.1', 9, 4);
    if (handleOf(socket) !== connecting)
      throw internalsChanged('net.Socket.prototype.connect replaced the adopted handle');
    // holdWritesUntilConnect replaces _writeGeneric and _final on the instance: net's _write and
    // _writev must still go through this._writeGeneric, or writes would bypass the hold.
    const held = new net.Socket({
      handle: fakeHandle(),
      manualStart: true,
    } as unknown as net.SocketConstructorOpts);
    sockets.push(held);
    const seen: boolean[] = [];
    Object.defineProperty(held, '_writeGeneric', {
      configurable: true,
      value: (writev: boolean) => seen.push(writev),
    });
    const internals = held as unknown as {
      _write(data: unknown, encoding: string, cb: () => void): void;
      _writev(chunks: unknown[], cb: () => void): void;
    };
    internals._write(Buffer.alloc(1), 'buffer', () => {});
    internals._writev([], () => {});
    if (seen.join() !== 'false,true')
      throw internalsChanged("net.Socket's _write/_writev no longer go through this._writeGeneric");
  } catch (error) {
    if (SecureSocketError.isInstance(error)) throw error;
    throw internalsChanged('constructing net.Socket on a handle failed', error);
  } finally {
    for (const s of sockets) {
      s.on('error', () => {});
      s.destroy();
    }
  }
  selfTested = true;
}
