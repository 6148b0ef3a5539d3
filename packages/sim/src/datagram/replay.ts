/**
 * The anti-replay window of RFC 4303 §3.4.3 for ESP-like datagrams: 64-bit sequence numbers
 * starting at 1, a sliding window of the last `size` numbers below the highest authenticated one.
 * A number is checked before the datagram is authenticated and recorded only after, so a forged
 * datagram can never move the window.
 * @module
 */
import { SecureSocketError } from '@wsasec/core';

/** Default anti-replay window, in sequence numbers (RFC 4303 recommends 64 as the minimum default). */
export const DEFAULT_REPLAY_WINDOW = 64;
/** Largest window accepted. */
export const MAX_REPLAY_WINDOW = 4096;

/** Largest sequence number an ESP-like datagram can carry. */
const MAX_SEQ = 2n ** 64n - 1n;

function checkSeq(seq: unknown, where: string): bigint {
  if (typeof seq !== 'bigint' || seq < 0n || seq > MAX_SEQ) {
    throw new SecureSocketError(
      'ERR_WSASEC_INVALID_ARGUMENT',
      `${where} takes a sequence number as a bigint from 0 to 2^64 - 1`,
    );
  }
  return seq;
}

/** What the window says of a sequence number. */
export type ReplayVerdict = 'new' | 'replay' | 'out-of-window';

/** One inbound SA's window. */
export class ReplayWindow {
  readonly size: number;
  /** Highest sequence number authenticated so far (0: none). */
  #top = 0n;
  /** Bit i set: `top - i` was received. */
  #bits = 0n;
  readonly #mask: bigint;

  /** @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` unless `size` is an integer from 1 to 4096. */
  constructor(size: number = DEFAULT_REPLAY_WINDOW) {
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > MAX_REPLAY_WINDOW) {
      throw new SecureSocketError(
        'ERR_WSASEC_INVALID_ARGUMENT',
        `the replay window must be an integer from 1 to ${MAX_REPLAY_WINDOW}, got ${typeof size === 'number' ? size : `a ${typeof size}`}`,
      );
    }
    this.size = size;
    this.#mask = (1n << BigInt(size)) - 1n;
  }

  /** Checks `seq` without recording it. Sequence number 0 is never sent, so it is out of the window. */
  check(seq: bigint): ReplayVerdict {
    checkSeq(seq, 'ReplayWindow#check');
    if (seq <= 0n) return 'out-of-window';
    if (seq > this.#top) return 'new';
    const offset = this.#top - seq;
    if (offset >= BigInt(this.size)) return 'out-of-window';
    return (this.#bits >> offset) & 1n ? 'replay' : 'new';
  }

  /** Records `seq` (call only after `check` said `'new'` and the datagram authenticated). */
  accept(seq: bigint): void {
    checkSeq(seq, 'ReplayWindow#accept');
    if (seq > this.#top) {
      const shift = seq - this.#top;
      this.#bits = shift >= BigInt(this.size) ? 1n : ((this.#bits << shift) | 1n) & this.#mask;
      this.#top = seq;
      return;
    }
    this.#bits |= 1n << (this.#top - seq);
  }

  /** Highest sequence number accepted (0 before the first). */
  get top(): bigint {
    return this.#top;
  }
}
