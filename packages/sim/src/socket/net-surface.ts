/**
 * The `net.Socket` surface of a sim socket, as Node's http client and server and undici use it:
 * addresses, byte counts, states, Nagle and keep-alive (applied to the TCP socket underneath, now or
 * once it exists), the idle `'timeout'` event, ref/unref and `destroySoon`.
 * @module
 */

import type { AddressInfo, Socket } from 'node:net';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import { invalidArgType, outOfRange, SecureSocketError, timerDuration } from '@wsasec/core';
import { debug } from '../diagnostics.js';

/**
 * The `net.Socket` surface shared by sim sockets; the subclass owns the TCP socket. It is a
 * `net.Socket` (as a native-win socket is, being Node's own on a Winsock SOCKET), so code that
 * checks `instanceof net.Socket` sees the same on both backends; it runs on no libuv handle of its
 * own (`_handle` is `null`, as on a net.Socket that is not connected), and every method that would
 * use one is overridden here or in the subclass.
 */
/** @internal Hands the surface the TCP socket a connect has just started, before negotiation. */
export const kTcpStarted = Symbol('wsasec.sim.tcpStarted');

export abstract class NetSocketSurface extends (net.Socket as unknown as typeof Duplex) {
  /** Process-unique id, used in diagnostics. */
  abstract readonly id: number;
  /** Application bytes received so far. */
  protected bytesIn = 0;
  /** Application bytes written so far. */
  protected bytesOut = 0;
  /** Closes the connection after this many ms without application data either way (0: never). */
  protected idleMs = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #timeoutMs: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #noDelay = true;
  #keepAlive: [boolean, number] | undefined;
  #unref = false;
  #tos: number | undefined;

  /** `highWaterMarks`: as `new net.Socket(options)`'s; absent, Node's default (`stream.getDefaultHighWaterMark()`). */
  constructor(highWaterMarks: { readableHighWaterMark?: number; writableHighWaterMark?: number } = {}) {
    // As a net.Socket by default: once the peer ended and its data was read, this side ends too
    // (a write in an 'end' listener still goes out first).
    super({ allowHalfOpen: false, ...highWaterMarks });
    // net.Socket emits 'close' from its handle's close callback and so turns the stream's own off;
    // a sim socket has no handle: the stream emits it, after 'error', as net's does.
    const states = this as unknown as {
      _readableState: { emitClose: boolean };
      _writableState: { emitClose: boolean };
    };
    states._readableState.emitClose = true;
    states._writableState.emitClose = true;
    // As net's onReadableStreamEnd (which this replaces, so the socket carries net's one 'end'
    // listener): once the peer ended, a socket without allowHalfOpen refuses writes after its own
    // end with net's EPIPE (Writable's would be ERR_STREAM_WRITE_AFTER_END).
    this.removeAllListeners('end');
    this.on('end', () => {
      if (!this.allowHalfOpen) this.write = NetSocketSurface.#writeAfterFin;
    });
  }

  /**
   * `'close'` carries net's `hadError` argument: `true` when the socket was destroyed with an error
   * (the stream's own `'close'`, which a sim socket emits, has no argument).
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'close' && args.length === 0) return super.emit('close', this.errored !== null);
    return super.emit(event, ...args);
  }

  /**
   * A `'connect'` listener added once the socket is connected is called on the next tick. Node's
   * TLS (`tls.connect({ socket })`, `new tls.TLSSocket(socket)`) takes a `net.Socket` without a
   * libuv handle — which a sim socket always is — for one still connecting, and waits for its
   * `'connect'` before the handshake; without this, TLS over a connected sim socket would wait for
   * ever. (net never calls a late listener; native-win's connected sockets have a handle, so TLS
   * does not wait on them.) The listener is removed once called, as a `once` listener is.
   */
  override on(event: string | symbol, listener: Parameters<Duplex['on']>[1]): this {
    super.on(event, listener);
    if (event === 'connect') this.#lateConnect(listener);
    return this;
  }

  override addListener(event: string | symbol, listener: Parameters<Duplex['on']>[1]): this {
    return this.on(event, listener);
  }

  override prependListener(event: string | symbol, listener: Parameters<Duplex['on']>[1]): this {
    super.prependListener(event, listener);
    if (event === 'connect') this.#lateConnect(listener);
    return this;
  }

  // `once` and `prependOnceListener` register their wrapper through `on` / `prependListener`.
  #lateConnect(registered: (...args: unknown[]) => void): void {
    if (this.connecting || this.tcpSocket === undefined || this.destroyed) return;
    process.nextTick(() => {
      if (this.destroyed || !this.rawListeners('connect').includes(registered)) return;
      this.removeListener('connect', registered);
      registered.call(this);
    });
  }

  /** net's writeAfterFIN: EPIPE to the callback (next tick), then the socket is destroyed with it. */
  static #writeAfterFin = function (
    this: NetSocketSurface,
    chunk: unknown,
    encoding?: BufferEncoding | ((error?: Error | null) => void),
    cb?: (error?: Error | null) => void,
  ): boolean {
    if (!this.writableEnded) return Duplex.prototype.write.call(this, chunk, encoding as BufferEncoding, cb);
    const callback = typeof encoding === 'function' ? encoding : cb;
    const error = new SecureSocketError('EPIPE', 'This socket has been ended by the other party', {
      syscall: 'send',
    });
    if (typeof callback === 'function') process.nextTick(callback, error);
    this.destroy(error);
    return false;
  } as Duplex['write'];

  /** The TCP socket underneath, once connected. */
  protected abstract get tcpSocket(): Socket | undefined;
  /** True while connect (and negotiation) runs. */
  protected abstract get isConnecting(): boolean;

  /** Applies the preferences set so far to the TCP socket now underneath, and starts the idle timer. */
  protected adopt(tcp: Socket): void {
    tcp.setNoDelay(this.#noDelay);
    if (this.idleMs > 0 && !this.destroyed) {
      const ms = this.idleMs;
      this.#idleTimer = setTimeout(() => {
        debug('socket %d: idle for %d ms; closed', this.id, ms);
        this.destroy(
          new SecureSocketError(
            'WSAETIMEDOUT',
            `the connection carried no data either way for ${ms} ms (idleTimeout of the sim backend) and was closed`,
            { syscall: 'recv' },
          ),
        );
      }, ms);
      this.#idleTimer.unref();
    }
    if (this.#keepAlive) tcp.setKeepAlive(...this.#keepAlive);
    if (this.#tos !== undefined) NetSocketSurface.#applyTos(tcp, this.#tos);
    if (this.#unref) tcp.unref();
  }

  /** Peer IP address (as `net.Socket.remoteAddress`). */
  get remoteAddress(): string | undefined {
    return this.tcpSocket?.remoteAddress;
  }

  /** Peer port. */
  get remotePort(): number | undefined {
    return this.tcpSocket?.remotePort;
  }

  /** `'IPv4'` or `'IPv6'`. */
  get remoteFamily(): string | undefined {
    return this.tcpSocket?.remoteFamily;
  }

  /** Local IP address. */
  get localAddress(): string | undefined {
    return this.tcpSocket?.localAddress;
  }

  /** Local port. */
  get localPort(): number | undefined {
    return this.tcpSocket?.localPort;
  }

  /** Local family. */
  get localFamily(): string | undefined {
    return this.tcpSocket?.localFamily;
  }

  /** Application bytes received (plaintext, as delivered). */
  get bytesRead(): number {
    return this.bytesIn;
  }

  /**
   * Bytes of the write held while connecting (net's `_pendingData`): counted by `bytesWritten` until
   * it goes out (then `bytesOut` counts it), and still after a destroy that dropped it, as net's.
   */
  protected get heldBytes(): number {
    return 0;
  }

  /**
   * Application bytes written (plaintext, as given to `write`), counting — as net does — what is
   * still buffered by the stream (corked, or queued behind a write in progress) and the write held
   * while connecting (net's `_pendingData`; strings by their encoding's byte length).
   */
  get bytesWritten(): number {
    let bytes = this.bytesOut + this.heldBytes;
    for (const el of (this as unknown as { writableBuffer?: { chunk: unknown; encoding: string }[] })
      .writableBuffer ?? []) {
      const { chunk, encoding } = el;
      bytes += Buffer.isBuffer(chunk)
        ? chunk.length
        : typeof chunk === 'string'
          ? Buffer.byteLength(chunk, encoding as BufferEncoding)
          : ((chunk as { byteLength?: number }).byteLength ?? 0);
    }
    return bytes;
  }

  /** True while connect (including the negotiation) is in progress. */
  get connecting(): boolean {
    return this.isConnecting;
  }

  /** net.Socket's constructor and methods write the flag; the sim's own state is what counts. */
  set connecting(_value: boolean) {}

  /** Mirrors `net.Socket.bufferSize` (deprecated in net): the bytes waiting to be written. */
  get bufferSize(): number | undefined {
    return this.destroyed ? undefined : this.writableLength;
  }

  // pending and readyState: core's, on every backend's socket (as net.Socket's).

  /** Mirrors `net.Socket.setNoDelay` (on by default: frames are written whole, Nagle only delays them). */
  setNoDelay(noDelay = true): this {
    this.#noDelay = noDelay;
    this.tcpSocket?.setNoDelay(noDelay);
    return this;
  }

  /** Mirrors `net.Socket.setKeepAlive`. */
  setKeepAlive(enable = false, initialDelay = 0): this {
    if (typeof initialDelay !== 'number' || !Number.isFinite(initialDelay) || initialDelay < 0) {
      throw new SecureSocketError(
        'ERR_WSASEC_INVALID_ARGUMENT',
        `setKeepAlive needs an initial delay in milliseconds ≥ 0, got ${typeof initialDelay === 'number' ? initialDelay : typeof initialDelay}`,
      );
    }
    this.#keepAlive = [Boolean(enable), initialDelay];
    this.tcpSocket?.setKeepAlive(Boolean(enable), initialDelay);
    return this;
  }

  /**
   * Mirrors `net.Socket.setTimeout`: emits `'timeout'` after `timeout` ms without reads or writes
   * (0 disables). The socket is not closed; the listener decides. On a destroyed socket it does
   * nothing (as net).
   * @throws SecureSocketError net's `ERR_INVALID_ARG_TYPE` (`TypeError`: `timeout` not a number, or
   *   `callback` not a function) or `ERR_OUT_OF_RANGE` (`RangeError`: negative, NaN or infinite).
   */
  /**
   * Mirrors `net.Socket#timeout`: the milliseconds last given to `setTimeout` (0 when disabled),
   * `undefined` before it was ever called.
   */
  get timeout(): number | undefined {
    return this.#timeoutValue;
  }

  /** As net's plain `timeout` property: assigning it changes what it reads, not the idle timer. */
  set timeout(value: number | undefined) {
    this.#timeoutValue = value;
  }

  #timeoutValue: number | undefined;

  setTimeout(timeout: number, callback?: () => void): this {
    if (this.destroyed) return this;
    timeout = timerDuration(timeout, 'msecs', 'setTimeout');
    if (callback !== undefined && typeof callback !== 'function')
      throw invalidArgType('callback', 'function', callback, 'setTimeout');
    if (callback) {
      if (timeout === 0) this.off('timeout', callback);
      else this.once('timeout', callback);
    }
    this.#timeoutMs = timeout;
    this.#timeoutValue = timeout;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (timeout > 0 && !this.destroyed) {
      this.#timer = setTimeout(() => this.emit('timeout'), timeout);
      this.#timer.unref();
    }
    return this;
  }

  /** Activity: restarts the idle timers. */
  protected touch(): void {
    this.#idleTimer?.refresh();
    if (this.#timer && this.#timeoutMs) this.#timer.refresh();
  }

  /** Stops every timer (on destroy). */
  protected clearTimers(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /**
   * Mirrors `net.Socket.setTypeOfService` (Node 24+): the IP TOS / traffic class of the TCP
   * connection underneath, now or as soon as it starts connecting — the negotiation's packets carry
   * it too (best effort where the platform refuses, as net on Windows; nothing where Node has no
   * `setTypeOfService`).
   * @throws SecureSocketError net's `ERR_INVALID_ARG_TYPE` (not a number) or `ERR_OUT_OF_RANGE`
   *   (not an integer from 0 to 255).
   */
  setTypeOfService(tos: number): this {
    if (typeof tos !== 'number' || Number.isNaN(tos))
      throw invalidArgType('tos', 'number', tos, 'setTypeOfService');
    if (!Number.isInteger(tos)) throw outOfRange('tos', 'an integer', tos, 'setTypeOfService');
    if (tos < 0 || tos > 255) throw outOfRange('tos', '>= 0 && <= 255', tos, 'setTypeOfService');
    this.#tos = tos;
    const tcp = this.tcpSocket;
    if (tcp) NetSocketSurface.#applyTos(tcp, tos);
    return this;
  }

  /**
   * @internal Applies the type of service to a TCP connection as it starts, so that the
   * negotiation's packets carry it too (net applies it once its handle exists, before data).
   */
  [kTcpStarted](tcp: Socket): void {
    if (this.#tos !== undefined) NetSocketSurface.#applyTos(tcp, this.#tos);
  }

  /** Mirrors `net.Socket.getTypeOfService`: the value set (0 when none was). */
  getTypeOfService(): number {
    return this.#tos ?? 0;
  }

  static #applyTos(tcp: Socket, tos: number): void {
    const set = (tcp as { setTypeOfService?: (tos: number) => unknown }).setTypeOfService;
    if (typeof set !== 'function') return;
    try {
      set.call(tcp, tos);
    } catch (error) {
      debug('setTypeOfService(%d) refused by the platform: %s', tos, (error as Error).message);
    }
  }

  /** Mirrors `net.Socket.ref`. */
  ref(): this {
    this.#unref = false;
    this.tcpSocket?.ref();
    return this;
  }

  /** Mirrors `net.Socket.unref`. */
  unref(): this {
    this.#unref = true;
    this.tcpSocket?.unref();
    return this;
  }

  /** Mirrors `net.Socket.address()`: the local address, or `{}` before connect. */
  address(): AddressInfo | Record<string, never> {
    const info = this.tcpSocket?.address();
    return info && 'port' in info ? info : {};
  }

  /** Mirrors `net.Socket.destroySoon`: ends the writable side, then destroys once it finished. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }
}
