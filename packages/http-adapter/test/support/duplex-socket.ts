/**
 * A plain `Duplex` over a `net.Socket` with the net.Socket surface the contract promises (the
 * contract allows any Duplex): lets the adapter be tested with a stream that is not a net.Socket, so nothing
 * in it can lean on libuv handles.
 */
import * as net from 'node:net';
import { Duplex } from 'node:stream';

export class DuplexSocket extends Duplex {
  readonly inner: net.Socket;
  #timeout = 0;
  #timer: NodeJS.Timeout | undefined;
  #refed = true;
  /** While the owner is still connecting, a TCP failure is reported by connect, not as 'error'. */
  connectingQuietly = false;

  constructor(inner: net.Socket = new net.Socket()) {
    super({ allowHalfOpen: false });
    this.inner = inner;
    inner.on('data', (chunk: Buffer) => {
      this.#touch();
      if (!this.push(chunk)) inner.pause();
    });
    inner.on('end', () => this.push(null));
    // While connecting, the driver reports a failure by rejecting and core destroys the stream
    // (as a backend must: a stream destroyed without an error reads as the caller's destroy()).
    inner.on('error', (error) => {
      if (!this.connectingQuietly) this.destroy(error);
    });
    inner.on('close', () => {
      if (!this.connectingQuietly) this.destroy();
    });
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // As the sim's socket: what is written before the connection exists waits for it.
    if (this.inner.pending && !this.inner.connecting) {
      const write = () => {
        this.inner.off('close', drop);
        this._write(chunk, encoding, callback);
      };
      const drop = () => {
        this.inner.off('connect', write);
        callback(new Error('the socket closed before it connected'));
      };
      this.inner.once('connect', write);
      this.inner.once('close', drop);
      return;
    }
    this.#touch();
    this.inner.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inner.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#timer);
    this.inner.destroy();
    callback(error);
  }

  /** Activity re-arms the idle timer, as on a net.Socket. */
  #touch(): void {
    this.#timer?.refresh();
  }

  setTimeout(timeout: number, callback?: () => void): this {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timeout = timeout;
    if (callback) this.once('timeout', callback);
    if (timeout > 0) {
      this.#timer = setTimeout(() => this.emit('timeout'), timeout);
      if (!this.#refed) this.#timer.unref();
    }
    return this;
  }

  get timeout(): number {
    return this.#timeout;
  }

  setNoDelay(noDelay?: boolean): this {
    this.inner.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.inner.setKeepAlive(enable, initialDelay);
    return this;
  }

  ref(): this {
    this.#refed = true;
    this.inner.ref();
    this.#timer?.ref();
    return this;
  }

  unref(): this {
    this.#refed = false;
    this.inner.unref();
    this.#timer?.unref();
    return this;
  }

  address() {
    return this.inner.address();
  }

  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  get remoteAddress() {
    return this.inner.remoteAddress;
  }
  get remotePort() {
    return this.inner.remotePort;
  }
  get remoteFamily() {
    return this.inner.remoteFamily;
  }
  get localAddress() {
    return this.inner.localAddress;
  }
  get localPort() {
    return this.inner.localPort;
  }
  get bytesRead() {
    return this.inner.bytesRead;
  }
  get bytesWritten() {
    return this.inner.bytesWritten;
  }
  get connecting() {
    return this.inner.connecting;
  }
  /** As net.Socket's: from `this.connecting`, which core owns while its connect runs. */
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.destroyed || this.inner.pending) return 'closed';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }
  get pending() {
    return this.inner.pending;
  }
}
