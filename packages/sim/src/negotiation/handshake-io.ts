/**
 * Moves negotiation records over a TCP connection: sends records, reads them with the bounded
 * record reader, and turns silence, a close, stray bytes or a NOTIFY into a {@link HandshakeError}.
 * The whole negotiation has one deadline.
 * @module
 */
import type { Socket } from 'node:net';
import { ikeErrorName } from '@wsasec/core';
import {
  classifyFirstBytes,
  decodeNotify,
  encodeNotify,
  encodeRecord,
  HandshakeError,
  type HandshakeRecord,
  IKE,
  MessageType,
  RecordReader,
} from './handshake.js';

/** Negotiation I/O on one TCP connection. */
export class HandshakeIo {
  readonly #tcp: Socket;
  readonly #reader = new RecordReader();
  #failure: HandshakeError | undefined;
  #waiter: { resolve(r: HandshakeRecord): void; reject(e: HandshakeError): void } | undefined;
  readonly #timer: NodeJS.Timeout;
  #detached = false;

  constructor(tcp: Socket, timeoutMs: number, initial?: Buffer) {
    this.#tcp = tcp;
    this.#timer = setTimeout(
      () =>
        this.#stop(
          new HandshakeError(IKE.ERROR_IPSEC_IKE_TIMED_OUT, `no answer from the peer within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    this.#timer.unref();
    if (initial && initial.length > 0) this.#onData(initial);
    tcp.on('data', this.#onData);
    tcp.on('end', this.#onEnd);
    tcp.on('close', this.#onEnd);
    tcp.on('error', this.#onError);
    tcp.resume();
  }

  #onData = (chunk: Buffer): void => {
    if (this.#failure) return;
    try {
      this.#reader.push(chunk);
    } catch (error) {
      this.#stop(error as HandshakeError);
      return;
    }
    this.#wake();
  };

  #onEnd = (): void => {
    this.#stop(
      new HandshakeError(IKE.ERROR_IPSEC_IKE_TIMED_OUT, 'the peer closed the connection during negotiation'),
    );
  };

  #onError = (error: Error): void => {
    this.#stop(
      new HandshakeError(
        IKE.ERROR_IPSEC_IKE_TIMED_OUT,
        `the connection failed during negotiation (${(error as NodeJS.ErrnoException).code ?? error.message})`,
      ),
    );
  };

  #stop(failure: HandshakeError): void {
    if (this.#failure || this.#detached) return;
    this.#failure = failure;
    clearTimeout(this.#timer);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(failure);
  }

  #wake(): void {
    if (!this.#waiter) return;
    let record: HandshakeRecord | undefined;
    try {
      // A HELLO only announces the responder; the negotiation skips it.
      do record = this.#reader.next();
      while (record?.type === MessageType.Hello);
    } catch (error) {
      this.#stop(error as HandshakeError);
      return;
    }
    if (!record) return;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (record.type === MessageType.Notify) {
      let code: number = IKE.ERROR_IPSEC_IKE_ERROR;
      try {
        code = decodeNotify(record.body);
      } catch {}
      const failure = new HandshakeError(
        code,
        `the peer ended the negotiation with ${ikeErrorName(code) ?? code}`,
        true,
      );
      this.#stop(failure);
      waiter.reject(failure);
      return;
    }
    waiter.resolve(record);
  }

  /** The next record; rejects on timeout, close, stray bytes or a NOTIFY. */
  next(): Promise<HandshakeRecord> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#wake();
    });
  }

  /** Sends a record. */
  send(record: Buffer): void {
    this.#tcp.write(record);
  }

  /** Tells the peer why this side gives up (best effort, in clear). */
  notify(code: number): void {
    if (!this.#tcp.destroyed && this.#tcp.writable)
      this.#tcp.write(encodeRecord(MessageType.Notify, encodeNotify(code)));
  }

  /** Ends the failure tracking; cancels any waiter. */
  fail(failure: HandshakeError): void {
    this.#stop(failure);
  }

  /**
   * Stops reading records: removes the listeners, clears the deadline, pauses the socket and
   * returns the bytes received after the last record (the start of the protected stream).
   */
  detach(): Buffer {
    this.#detached = true;
    clearTimeout(this.#timer);
    this.#tcp.pause();
    this.#tcp.off('data', this.#onData);
    this.#tcp.off('end', this.#onEnd);
    this.#tcp.off('close', this.#onEnd);
    this.#tcp.off('error', this.#onError);
    return this.#reader.takeRest();
  }
}

/**
 * Waits for the first bytes of a connection, enough to tell a handshake record from clear traffic;
 * `'silent'` when none came within `waitMs`, `'closed'` when the connection ended first. Leaves the
 * socket paused.
 */
export function firstBytes(tcp: Socket, waitMs: number): Promise<Buffer | 'silent' | 'closed'> {
  return new Promise((resolve) => {
    let got: Buffer = Buffer.alloc(0);
    const done = (result: Buffer | 'silent' | 'closed') => {
      clearTimeout(timer);
      tcp.off('data', onData);
      tcp.off('end', onClosed);
      tcp.off('close', onClosed);
      tcp.off('error', onClosed);
      tcp.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      got = got.length === 0 ? chunk : Buffer.concat([got, chunk]);
      if (classifyFirstBytes(got) !== 'more') done(got);
    };
    const onClosed = () => done(got.length > 0 ? got : 'closed');
    const timer = setTimeout(() => done(got.length > 0 ? got : 'silent'), waitMs);
    timer.unref();
    tcp.on('data', onData);
    tcp.on('end', onClosed);
    tcp.on('close', onClosed);
    tcp.on('error', onClosed);
    tcp.resume();
  });
}
