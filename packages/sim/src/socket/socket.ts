/**
 * The socket users receive: a `net.Socket` without a libuv handle of its own, which owns the TCP
 * `net.Socket` underneath and carries the application's bytes in protected frames (or in clear,
 * when the connection fell back). The `net.Socket` surface Node's http client and server and undici
 * use is in net-surface.ts.
 * @module
 */
import type { Socket } from 'node:net';
import { closedBeforeConnection, SecureSocketError, toSecureSocketError } from '@wsasec/core';
import { debug, publish } from '../diagnostics.js';
import type { SecureChannel } from '../protection/channel.js';
import type { FrameFailure } from '../protection/frame-decoder.js';
import type { Account } from '../realm/realm.js';
import { NetSocketSurface } from './net-surface.js';

/** What `querySecurity` reports about a connection. */
export interface ConnectionSecurity {
  /** SOCKET_SECURITY_PROTOCOL of the socket's settings. */
  protocol: 0 | 1 | 2;
  secured: boolean;
  encrypted: boolean;
  impersonated: boolean;
  peerMachine?: Account | undefined;
  peerUser?: Account | undefined;
  /** ERROR_IPSEC_IKE_* of the negotiation (0 on success; the failure that caused a clear fallback). */
  negotiationError: number;
}

/** @internal Symbols of the package-internal socket methods. */
export const kAttach = Symbol('wsasec.sim.attach');
/** @internal */
export const kConnecting = Symbol('wsasec.sim.connecting');
/** @internal Marks an accepted socket of a pauseOnConnect server (net's `pauseOnCreate`). */
export const kPauseOnCreate = Symbol('wsasec.sim.pauseOnCreate');
/** @internal */
export const kSecurity = Symbol('wsasec.sim.security');
/** @internal */
export const kChannel = Symbol('wsasec.sim.channel');
/** @internal */
export const kWatch = Symbol('wsasec.sim.watch');
/** @internal */
export const kIdleTimeout = Symbol('wsasec.sim.idleTimeout');

/** Largest number of frames opened off-thread before the socket stops reading. */
const MAX_PENDING_OFFLOADS = 8;

let nextSocketId = 1;

type WriteCallback = (error?: Error | null) => void;

/**
 * A connection of the sim backend. Created by the backend (`createSocket`, `connect`, or a server's
 * accept), never directly.
 */
export class SimSocket extends NetSocketSurface {
  /** Process-unique id, used in diagnostics. */
  readonly id = nextSocketId++;
  #tcp: Socket | undefined;
  #channel: SecureChannel | undefined;
  #security: ConnectionSecurity = {
    protocol: 0,
    secured: false,
    encrypted: false,
    impersonated: false,
    negotiationError: 0,
  };
  #connecting = false;
  #pendingWrite: { parts: Buffer[]; cb: WriteCallback } | undefined;
  /** Bytes of #pendingWrite, kept after a destroy drops it (net's `_pendingData` stays counted). */
  #heldBytes = 0;
  #pendingFinal: WriteCallback | undefined;
  #drainCb: WriteCallback | undefined;
  #wantRead = true;
  /** An accepted socket's first read, until the stream asks for data (see [kAttach]). */
  #startReading: (() => void) | undefined;
  /** Accepted by a pauseOnConnect server: reads nothing until the stream asks (net's pauseOnCreate). */
  #pauseOnCreate = false;
  #readEnded = false;
  #watch: { qmSaId: bigint } | undefined;
  #resetting = false;
  /** The peer's protected ABORT came: it reads nothing more (see channelAbort). */
  #peerAborted = false;

  protected override get tcpSocket(): Socket | undefined {
    return this.#tcp;
  }

  protected override get isConnecting(): boolean {
    return this.#connecting;
  }

  protected override get heldBytes(): number {
    return this.#heldBytes;
  }

  /** @internal An accepted socket of a pauseOnConnect server: set before [kAttach]. */
  [kPauseOnCreate](): void {
    this.#pauseOnCreate = true;
  }

  /** @internal Marks the socket as connecting (or not). */
  [kConnecting](value: boolean): void {
    this.#connecting = value;
  }

  /** @internal The negotiated state of the connection. */
  get [kSecurity](): ConnectionSecurity {
    return this.#security;
  }

  /** @internal The protected channel, when the connection is secured. */
  get [kChannel](): SecureChannel | undefined {
    return this.#channel;
  }

  /** @internal Closes the connection after `ms` without application data either way (0: never). */
  [kIdleTimeout](ms: number): void {
    this.idleMs = ms;
  }

  /** @internal Aborts the connection when the QM SA id changes (abortOnFieldChange). */
  [kWatch](qmSaId: bigint): void {
    this.#watch = { qmSaId };
  }

  /**
   * @internal Takes over a connected TCP socket: `channel` protects the traffic (undefined: clear
   * text); `leftover` are bytes already received after the negotiation.
   */
  [kAttach](
    tcp: Socket,
    security: ConnectionSecurity,
    channel: SecureChannel | undefined,
    leftover: Buffer,
  ): void {
    // A client's connect is reported by core ('connect', 'ready') once this returns: nothing is
    // delivered before it (as net, whose first 'data' or 'end' follows 'connect').
    const client = this.#connecting;
    this.#tcp = tcp;
    this.#security = security;
    this.#channel = channel;
    this.#connecting = false;
    this.adopt(tcp);
    tcp.on('error', (error) => this.destroy(toSecureSocketError(error, 'recv')));
    tcp.on('drain', () => {
      const cb = this.#drainCb;
      this.#drainCb = undefined;
      cb?.();
    });
    tcp.on('end', () => this.#onTcpEnd());
    tcp.on('close', () => this.#onTcpClose());
    tcp.on(
      'data',
      channel ? (chunk: Buffer) => this.#onSecureData(chunk) : (chunk: Buffer) => this.#onClearData(chunk),
    );
    const pending = this.#pendingWrite;
    this.#pendingWrite = undefined;
    this.#heldBytes = 0;
    if (pending) this.#send(pending.parts, pending.cb);
    const final = this.#pendingFinal;
    this.#pendingFinal = undefined;
    if (final) this._final(final);
    const start = () => {
      if (this.destroyed) return;
      if (leftover.length > 0) {
        if (channel) this.#onSecureData(leftover);
        else this.#onClearData(leftover);
      }
      // The peer may have ended while the negotiation (or the first-bytes wait) held the socket.
      if (tcp.readableEnded) this.#onTcpEnd();
      else if (this.#wantRead && !this.destroyed) tcp.resume();
    };
    if (client) {
      this.once('connect', start);
      return;
    }
    // Accepted: as net, whose accepted socket starts reading its handle from its constructor's
    // read(0), except with pauseOnConnect (net's pauseOnCreate), which leaves it unread — the bytes
    // already here, the TCP socket, its end — until the stream asks for data (_read: resume(),
    // read(), a 'readable' listener).
    if (!this.#pauseOnCreate) {
      start();
      return;
    }
    this.#startReading = start;
  }

  #beginReading(): void {
    const start = this.#startReading;
    this.#startReading = undefined;
    start?.();
  }

  /** @internal The channel's events are routed here by the driver that builds the channel. */
  channelData(parts: Buffer[]): void {
    for (const part of parts) {
      this.bytesIn += part.length;
      if (!this.push(part)) this.#wantRead = false;
    }
    this.touch();
    this.#throttle();
  }

  /** @internal */
  channelEnd(): void {
    // As net, which reads the FIN in an I/O callback of its own: everything the data before it
    // scheduled (an http agent's 'free' of a kept-alive socket, on the next tick) runs first.
    setImmediate(() => {
      if (!this.destroyed) this.#endReadable();
    });
  }

  /**
   * The peer's end of stream, as net delivers it: `push(null)` then `read(0)`, so that a socket
   * nobody reads still emits `'end'` (then ends its side, unless allowHalfOpen, and closes) once
   * everything before it was consumed.
   */
  #endReadable(): void {
    if (this.#readEnded) return;
    this.#readEnded = true;
    this.push(null);
    this.read(0);
  }

  /**
   * @internal The peer closed the connection (its destroy). With nothing of this side unsent:
   * deliver what came before, then close (net's FIN). With writes that have not reached the
   * connection yet — buffered by this stream (queued, corked) or by the TCP socket (beyond what the
   * kernel took): the peer stopped reading and will never read them — or on a later write:
   * `WSAECONNRESET` (`nodeCode` `ECONNRESET`), as net, whose peer's kernel answers unread data with
   * a reset (`read ECONNRESET` here, the queued writes failed with it). A write the kernel already
   * took counts as sent (net's FIN may still come first then; which comes is a race there).
   */
  channelAbort(): void {
    this.#peerAborted = true;
    const buffered = (this as { writableBuffer?: unknown[] }).writableBuffer?.length ?? 0;
    if (buffered > 0 || (this.#tcp?.writableLength ?? 0) > 0) {
      this.destroy(SimSocket.#peerAbortError());
      return;
    }
    this.#endReadable();
    if (this.readableEnded) this.destroy();
    else this.once('end', () => this.destroy());
  }

  /** @internal */
  channelFailure(failure: FrameFailure): void {
    publish('frameRejected', () => ({ socketId: this.id, reason: failure.reason }));
    debug('socket %d: frame rejected: %s', this.id, failure.reason);
    this.destroy(
      new SecureSocketError(
        failure.kind === 'internal' ? 'ERR_WSASEC_INTERNAL' : 'ERR_WSASEC_INTEGRITY',
        `protected stream refused: ${failure.reason}; the connection was closed and nothing of that frame was delivered`,
        { syscall: 'recv' },
      ),
    );
  }

  /** @internal */
  channelRekeyed(direction: 'outbound' | 'inbound', qmSaId: bigint): void {
    publish('rekey', () => ({ socketId: this.id, direction, qmSaId }));
    debug('socket %d: %s SA rekeyed, QM SA id %s', this.id, direction, qmSaId);
    if (this.#watch && this.#watch.qmSaId !== qmSaId) {
      this.destroy(
        new SecureSocketError(
          'WSAECONNABORTED',
          'the quick-mode SA changed on rekey and the query asked to abort the connection on a change of that field (SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE)',
          { syscall: 'recv' },
        ),
      );
    }
  }

  #throttle(): void {
    const tcp = this.#tcp;
    if (!tcp) return;
    const busy = (this.#channel?.pendingOffloads ?? 0) >= MAX_PENDING_OFFLOADS;
    if (!this.#wantRead || busy) tcp.pause();
    else if (tcp.isPaused()) tcp.resume();
  }

  #onSecureData(chunk: Buffer): void {
    (this.#channel as SecureChannel).feed(chunk);
    this.#throttle();
  }

  #onClearData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.touch();
    if (!this.push(chunk)) {
      this.#wantRead = false;
      this.#tcp?.pause();
    }
  }

  #onTcpEnd(): void {
    const channel = this.#channel;
    if (!channel) {
      this.#endReadable();
      return;
    }
    if (channel.stopped) return;
    if (!channel.atBoundary) {
      this.channelFailure({
        kind: 'integrity',
        reason: 'the stream ended in the middle of a frame (truncated)',
      });
      return;
    }
    this.destroy(
      new SecureSocketError(
        'WSAECONNRESET',
        'the connection closed without the protected end of stream (the peer aborted, or the stream was truncated); everything delivered before was authentic',
        { syscall: 'recv' },
      ),
    );
  }

  #onTcpClose(): void {
    if (this.destroyed) return;
    // A peer that ended cleanly (its END parsed, even if frames before it are still being opened):
    // this stream closes by itself once its reader has consumed everything.
    if (this.#readEnded || this.#channel?.stopped) return;
    this.destroy(
      new SecureSocketError('WSAECONNRESET', 'the connection was reset by the peer', { syscall: 'recv' }),
    );
  }

  override _read(): void {
    this.#wantRead = true;
    if (this.#startReading) this.#beginReading();
    else this.#throttle();
  }

  /** @internal Node's stream hook. */
  override _write(chunk: Buffer | string, encoding: BufferEncoding, cb: WriteCallback): void {
    this.#send([toBuffer(chunk, encoding)], cb);
  }

  /** @internal Node's stream hook. */
  override _writev(chunks: { chunk: Buffer | string; encoding: BufferEncoding }[], cb: WriteCallback): void {
    this.#send(
      chunks.map((c) => toBuffer(c.chunk, c.encoding)),
      cb,
    );
  }

  static #peerAbortError(): SecureSocketError {
    return new SecureSocketError(
      'WSAECONNRESET',
      'the peer closed the connection (a protected ABORT) with data written here that it will never read; the connection was reset',
      { syscall: 'recv' },
    );
  }

  #send(parts: Buffer[], cb: WriteCallback): void {
    if (this.#peerAborted) {
      // As net's failed write: the socket is destroyed with the error ('error'; now, before the
      // peer's end closes it), and the write's callback gets it.
      const error = SimSocket.#peerAbortError();
      this.destroy(error);
      cb(error);
      return;
    }
    const tcp = this.#tcp;
    if (!tcp) {
      this.#pendingWrite = { parts, cb };
      this.#heldBytes = 0;
      for (const part of parts) this.#heldBytes += part.length;
      return;
    }
    for (const part of parts) this.bytesOut += part.length;
    this.touch();
    const channel = this.#channel;
    if (!channel) {
      this.#writeAll(tcp, parts, false, cb);
      return;
    }
    let frames: Buffer[];
    try {
      frames = channel.protect(parts);
    } catch (error) {
      cb(toSecureSocketError(error, 'send'));
      return;
    }
    // Ciphertext is ours, so the caller may reuse its buffers at once; with integrity only the
    // frames point into the caller's buffers, so completion waits for TCP to take them.
    this.#writeAll(tcp, SimSocket.#joinSmall(frames), channel.transform === 'encryption', cb);
  }

  /**
   * A small batch of frames (a header, payload pieces and a tag each) as one buffer: one write to
   * TCP instead of several, for the cost of copying at most a few KiB. Larger batches stay as they
   * are (corked into one writev).
   */
  static #joinSmall(frames: Buffer[]): Buffer[] {
    if (frames.length < 2) return frames;
    let total = 0;
    for (const f of frames) total += f.length;
    return total <= 4096 ? [Buffer.concat(frames, total)] : frames;
  }

  #writeAll(tcp: Socket, buffers: Buffer[], owned: boolean, cb: WriteCallback): void {
    if (buffers.length === 0) {
      cb();
      return;
    }
    tcp.cork();
    const last = buffers.length - 1;
    for (let i = 0; i < last; i++) tcp.write(buffers[i] as Buffer);
    let ok = true;
    if (owned) ok = tcp.write(buffers[last] as Buffer);
    else tcp.write(buffers[last] as Buffer, (error) => cb(error ? this.#writeFailure(error) : undefined));
    tcp.uncork();
    if (owned) {
      // The bytes are on their way (or in TCP's buffer); completing on the next tick rather than now
      // keeps this write in progress for the rest of the tick, so Writable buffers whatever else is
      // written meanwhile and hands it to _writev as one batch, sealed into full-size frames. Nothing
      // waits: this write went out at once, and the batch goes out as soon as the tick ends.
      if (ok) process.nextTick(cb);
      else this.#drainCb = cb;
    }
  }

  /**
   * What a write the TCP socket failed reports: once this socket is destroyed (or the TCP socket
   * under it, whose own `ERR_STREAM_DESTROYED` is no Winsock failure), the error it was destroyed
   * with, as net's queued writes fail with the socket's error, else `ERR_WSASEC_SOCKET_CLOSED`; a
   * failure of the TCP connection itself (`EPIPE`, `ECONNRESET`) as its Winsock code.
   */
  #writeFailure(error: Error): Error {
    if (this.destroyed || (error as { code?: unknown }).code === 'ERR_STREAM_DESTROYED')
      return this.#destroyedError();
    return toSecureSocketError(error, 'send');
  }

  #destroyedError(): Error {
    return (
      this.errored ??
      new SecureSocketError('ERR_WSASEC_SOCKET_CLOSED', 'the socket was destroyed', { syscall: 'send' })
    );
  }

  /** @internal Node's stream hook. */
  override _final(cb: WriteCallback): void {
    const tcp = this.#tcp;
    if (!tcp) {
      if (this.#connecting || this.connecting) this.#pendingFinal = cb;
      else cb();
      return;
    }
    if (tcp.destroyed || !tcp.writable) {
      cb();
      return;
    }
    const end = this.#channel?.protectEnd() ?? [];
    if (end.length > 0) {
      tcp.cork();
      for (const b of end) tcp.write(b);
      tcp.uncork();
    }
    // As net, whose 'finish' follows the TCP shutdown: complete once TCP has flushed everything
    // written before, so that a destroy after 'finish' (autoDestroy, destroySoon) drops nothing.
    const onFinish = () => {
      tcp.off('close', onClose);
      cb();
    };
    const onClose = () => {
      tcp.off('finish', onFinish);
      cb();
    };
    tcp.once('finish', onFinish);
    tcp.once('close', onClose);
    tcp.end();
  }

  /**
   * Mirrors `net.Socket.resetAndDestroy`: closes the TCP connection with a RST (the peer sees
   * `WSAECONNRESET`, no protected end) and destroys the socket without an error; while connecting,
   * once connected. A socket that is neither connected nor connecting is destroyed with net's
   * `ERR_SOCKET_CLOSED`.
   */
  resetAndDestroy(): this {
    if (this.destroyed || (!this.#tcp && !this.connecting)) {
      this.destroy(new SecureSocketError('ERR_SOCKET_CLOSED', 'Socket is closed', { syscall: 'reset' }));
    } else if (this.connecting) {
      this.once('connect', () => this.#reset());
    } else {
      this.#reset();
    }
    return this;
  }

  #reset(): void {
    this.#resetting = true;
    this.destroy();
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    this.clearTimers();
    const tcp = this.#tcp;
    if (tcp && !tcp.destroyed && this.#resetting) {
      tcp.resetAndDestroy();
    } else if (tcp && !tcp.destroyed) {
      // A protected ABORT tells the peer this side closed (a net.Socket's FIN); a bare FIN, which an
      // attacker could forge, would only tell it the stream was cut.
      if (this.#channel && tcp.writable && tcp.writableLength === 0) {
        tcp.cork();
        for (const b of this.#channel.protectAbort()) tcp.write(b);
        tcp.uncork();
      }
      tcp.destroy();
    }
    const pending = this.#pendingWrite;
    this.#pendingWrite = undefined;
    pending?.cb(closedBeforeConnection());
    const drain = this.#drainCb;
    this.#drainCb = undefined;
    drain?.(this.#destroyedError());
    cb(error);
  }
}

/** net.Socket hands strings to the stream hooks as they were written (it turns decodeStrings off). */
function toBuffer(chunk: Buffer | string, encoding: BufferEncoding): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
}
