/**
 * The anti-replay window of RFC 4303 §3.4.3 for ESP-like datagrams: 64-bit sequence numbers
 * starting at 1, a sliding window of the last `size` numbers below the highest authenticated one.
 * A number is checked before the datagram is authenticated and recorded only after, so a forged
 * datagram can never move the window.
 * @module
 */

/** Default anti-replay window, in sequence numbers (RFC 4303 recommends 64 as the minimum default). */
export const DEFAULT_REPLAY_WINDOW = 64;
/** Largest window accepted. */
export const MAX_REPLAY_WINDOW = 4096;

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

  constructor(size: number = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_REPLAY_WINDOW)
      throw new RangeError(
        `the replay window must be an integer from 1 to ${MAX_REPLAY_WINDOW}, got ${size}`,
      );
    this.size = size;
    this.#mask = (1n << BigInt(size)) - 1n;
  }

  /** Checks `seq` without recording it. Sequence number 0 is never sent, so it is out of the window. */
  check(seq: bigint): ReplayVerdict {
    if (seq <= 0n) return 'out-of-window';
    if (seq > this.#top) return 'new';
    const offset = this.#top - seq;
    if (offset >= BigInt(this.size)) return 'out-of-window';
    return (this.#bits >> offset) & 1n ? 'replay' : 'new';
  }

  /** Records `seq` (call only after `check` said `'new'` and the datagram authenticated). */
  accept(seq: bigint): void {
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
