/**
 * One end of an in-process connection for the memory test backend: a `Duplex` that holds its
 * writes until it is linked to a peer end, then hands each chunk to the peer's readable side with
 * backpressure. It carries the `net.Socket` surface that `SecureSocket` promises.
 * @module
 */
import { Duplex } from 'node:stream';

/** An endpoint's address as a socket reports it. */
export interface MemoryEndpoint {
  address: string;
  port: number;
  family: 'ipv4' | 'ipv6';
}

/** One end of a memory connection. */
export class MemoryStream extends Duplex {
  #peer: MemoryStream | undefined;
  #pending: (() => void) | undefined;
  #awaitingRead: (() => void) | undefined;
  #local: MemoryEndpoint | undefined;
  #remote: MemoryEndpoint | undefined;
  #timer: NodeJS.Timeout | undefined;
  #eof = false;
  /** True between the start of `connect` and its end, as on `net.Socket`. */
  connecting = false;
  bytesRead = 0;
  bytesWritten = 0;

  constructor(highWaterMarks: { readableHighWaterMark?: number; writableHighWaterMark?: number } = {}) {
    // Half-open like net.Socket's default: the end of the peer's data ends ours.
    super({ allowHalfOpen: false, ...highWaterMarks });
  }

  /** Joins two ends; the writes each held are delivered from here on. */
  static link(a: MemoryStream, b: MemoryStream, aAddress: MemoryEndpoint, bAddress: MemoryEndpoint): void {
    a.#peer = b;
    b.#peer = a;
    a.#local = aAddress;
    a.#remote = bAddress;
    b.#local = bAddress;
    b.#remote = aAddress;
    for (const end of [a, b]) {
      const pending = end.#pending;
      end.#pending = undefined;
      pending?.();
    }
  }

  get remoteAddress(): string | undefined {
    return this.#remote?.address;
  }
  get remotePort(): number | undefined {
    return this.#remote?.port;
  }
  get remoteFamily(): string | undefined {
    return this.#remote && (this.#remote.family === 'ipv4' ? 'IPv4' : 'IPv6');
  }
  get localAddress(): string | undefined {
    return this.#local?.address;
  }
  get localPort(): number | undefined {
    return this.#local?.port;
  }

  address(): { address: string; family: string; port: number } | object {
    const local = this.#local;
    return local
      ? { address: local.address, family: local.family === 'ipv4' ? 'IPv4' : 'IPv6', port: local.port }
      : {};
  }

  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(timeout: number, callback?: () => void): this {
    clearTimeout(this.#timer);
    if (callback) this.once('timeout', callback);
    if (timeout > 0) this.#timer = setTimeout(() => this.emit('timeout'), timeout).unref();
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  destroySoon(): void {
    if (this.writableFinished) this.destroy();
    else this.end(() => this.destroy());
  }

  /** The peer end, once linked. */
  get peer(): MemoryStream | undefined {
    return this.#peer;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.#peer;
    if (!peer) {
      // Not connected yet: hold the write (and so all later ones) until link() or destroy().
      this.#pending = () => this._write(chunk, _encoding, callback);
      return;
    }
    if (peer.destroyed || peer.#eof) {
      callback(Object.assign(new Error('write after the peer closed'), { code: 'EPIPE' }));
      return;
    }
    this.bytesWritten += chunk.length;
    peer.bytesRead += chunk.length;
    if (peer.push(chunk)) callback();
    else peer.#awaitingRead = () => callback();
  }

  override _read(): void {
    const resume = this.#awaitingRead;
    this.#awaitingRead = undefined;
    resume?.();
  }

  override _final(callback: (error?: Error | null) => void): void {
    const peer = this.#peer;
    if (!peer) {
      this.#pending = () => this._final(callback);
      return;
    }
    peer.#end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#timer);
    this.#pending = undefined;
    // A write of the peer waiting for us to read completes (its data is dropped, as by TCP).
    const resume = this.#awaitingRead;
    this.#awaitingRead = undefined;
    resume?.();
    // Like a TCP FIN: the peer reads to the end, then closes (allowHalfOpen is false).
    const peer = this.#peer;
    if (peer) peer.#end();
    callback(error);
  }

  #end(): void {
    if (this.#eof || this.destroyed) return;
    this.#eof = true;
    this.push(null);
  }
}
