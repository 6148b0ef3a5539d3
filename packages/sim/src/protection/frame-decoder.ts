/**
 * The receiving half of a protected connection (see frames.ts for the format): parses frames,
 * checks SPI, sequence number, type and length before reading a payload, holds each payload until
 * its tag verifies, and delivers frames in order — also those opened on the worker thread. A frame
 * that fails delivers nothing of itself and stops the decoder for good.
 * @module
 */
import { createDecipheriv, type DecipherGCM } from 'node:crypto';
import type { SaKeyMaterial } from '../negotiation/sa-keys.js';
import type { Transform } from '../policy/policy.js';
import {
  FRAME_HEADER_SIZE,
  FRAME_TAG_SIZE,
  type FrameOpener,
  FrameType,
  gcmNonceInto,
  REKEY_PAYLOAD_SIZE,
} from './frames.js';

/**
 * Default smallest encrypted payload handed to the opener. Above the default largest frame
 * (256 KiB), so by default every frame is opened on the main thread: a hand-off to the worker was
 * measured to cost the main thread about as much as opening the frame itself (a postMessage is tens
 * of microseconds, AES-GCM opens 256 KiB in about as long), besides copying the frame's pieces that
 * do not own their memory. Connections with larger frames (maxFrameSize) still use the worker.
 */
export const DEFAULT_OFFLOAD_THRESHOLD = 1024 * 1024;

/** Why the decoder stopped. */
export interface FrameFailure {
  /**
   * `'integrity'`: tag, SPI, sequence, type or length check; `'protocol'`: bytes after END or ABORT;
   * `'internal'`: the crypto worker failed.
   */
  kind: 'integrity' | 'protocol' | 'internal';
  reason: string;
}

/** What the decoder reports. */
export interface FrameDecoderEvents {
  /** Verified payload of a DATA frame. */
  data(parts: Buffer[]): void;
  /**
   * A verified REKEY payload; called synchronously, before any later frame is parsed. Returns a
   * failure to refuse it (which stops the decoder).
   */
  rekey(payload: Buffer): FrameFailure | undefined;
  /** A verified END frame (the peer half-closed), after every earlier frame was delivered. */
  end(): void;
  /** A verified ABORT frame (the peer closed the connection), after every earlier frame was delivered. */
  abort(): void;
  /** The first failure; nothing is delivered afterwards. */
  failure(failure: FrameFailure): void;
}

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  transform: Transform;
  /** Largest payload accepted; a larger length field fails at once, before any buffering. */
  maxPayload: number;
  /** Opens large encrypted frames off the main thread. */
  opener?: FrameOpener | undefined;
  /** Smallest encrypted payload handed to the opener (default {@link DEFAULT_OFFLOAD_THRESHOLD}). */
  offloadThreshold?: number;
}

type Delivery =
  | { kind: 'data'; parts: Buffer[] | undefined; pending: boolean; failure?: FrameFailure }
  | { kind: 'end' }
  | { kind: 'abort' }
  | { kind: 'failure'; failure: FrameFailure };

enum State {
  Header = 0,
  Payload = 1,
  Tag = 2,
  Closed = 3,
  Dead = 4,
}

function ownsBuffer(b: Buffer): boolean {
  return (
    b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer)
  );
}

function copyOwned(b: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(b.length);
  b.copy(copy);
  return copy;
}

/** The receiving half of a connection: parses, verifies and delivers frames in order. */
export class FrameDecoder {
  #sa: SaKeyMaterial;
  #seq = 0n;
  readonly #opts: FrameDecoderOptions;
  readonly #events: FrameDecoderEvents;
  #state = State.Header;
  readonly #headerBuf = Buffer.allocUnsafe(FRAME_HEADER_SIZE);
  #headerGot = 0;
  #header: Buffer = this.#headerBuf;
  #type: FrameType = FrameType.Data;
  #left = 0;
  #tag = Buffer.allocUnsafe(FRAME_TAG_SIZE);
  #tagGot = 0;
  #decipher: DecipherGCM | undefined;
  #nonce: Buffer = Buffer.alloc(0);
  readonly #nonceBuf = Buffer.allocUnsafe(12);
  #parts: Buffer[] = [];
  #offload = false;
  #queue: Delivery[] = [];
  #ended = false;
  #pending = 0;

  constructor(sa: SaKeyMaterial, opts: FrameDecoderOptions, events: FrameDecoderEvents) {
    this.#sa = sa;
    this.#opts = opts;
    this.#events = events;
  }

  /** Frames handed to the opener and not yet delivered. */
  get pendingOffloads(): number {
    return this.#pending;
  }

  /** True once END or ABORT was parsed, or the decoder failed. */
  get stopped(): boolean {
    return this.#ended || this.#state === State.Closed || this.#state === State.Dead;
  }

  /** True when the decoder is between frames (no partial frame buffered). */
  get atBoundary(): boolean {
    return this.#state === State.Header && this.#headerGot === 0;
  }

  /** Switches to the next inbound SA (after a verified REKEY). */
  setInbound(sa: SaKeyMaterial): void {
    this.#sa = sa;
    this.#seq = 0n;
  }

  #fail(failure: FrameFailure): undefined {
    this.#state = State.Dead;
    this.#decipher = undefined;
    this.#parts = [];
    this.#enqueue({ kind: 'failure', failure });
  }

  /** Feeds bytes received from the peer. */
  feed(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      switch (this.#state) {
        case State.Header: {
          const n = Math.min(FRAME_HEADER_SIZE - this.#headerGot, chunk.length - off);
          chunk.copy(this.#headerBuf, this.#headerGot, off, off + n);
          this.#headerGot += n;
          off += n;
          if (this.#headerGot === FRAME_HEADER_SIZE) {
            this.#headerGot = 0;
            this.#startFrame();
          }
          break;
        }
        case State.Payload: {
          const n = Math.min(this.#left, chunk.length - off);
          const whole = off === 0 && n === chunk.length;
          this.#payload(whole ? chunk : chunk.subarray(off, off + n), whole);
          this.#left -= n;
          off += n;
          if (this.#left === 0) this.#state = State.Tag;
          break;
        }
        case State.Tag: {
          const n = Math.min(FRAME_TAG_SIZE - this.#tagGot, chunk.length - off);
          chunk.copy(this.#tag, this.#tagGot, off, off + n);
          this.#tagGot += n;
          off += n;
          if (this.#tagGot === FRAME_TAG_SIZE) {
            this.#tagGot = 0;
            this.#endFrame();
          }
          break;
        }
        case State.Closed:
          this.#fail({
            kind: 'protocol',
            reason: 'bytes received after the peer closed the protected stream',
          });
          return;
        case State.Dead:
          return;
      }
    }
  }

  #startFrame(): undefined {
    // Parsed and authenticated in place (setAAD takes the bytes at once); copied only for the worker.
    const header = this.#headerBuf;
    const spi = header.readUInt32BE(0);
    const seq = header.readBigUInt64BE(4);
    const type = header[12] as number;
    const length = header.readUInt32BE(13);
    if (spi !== this.#sa.spi)
      return this.#fail({ kind: 'integrity', reason: `frame for unknown SPI ${spi}` });
    if (seq !== this.#seq + 1n)
      return this.#fail({
        kind: 'integrity',
        reason: `frame sequence ${seq} where ${this.#seq + 1n} was expected (replayed, reordered or dropped)`,
      });
    if (type < FrameType.Data || type > FrameType.Abort)
      return this.#fail({ kind: 'integrity', reason: `unknown frame type ${type}` });
    if (this.#ended && type !== FrameType.Abort)
      return this.#fail({
        kind: 'protocol',
        reason: 'a frame arrived after the protected end of the stream',
      });
    const expected = type === FrameType.Rekey ? REKEY_PAYLOAD_SIZE : type === FrameType.Data ? undefined : 0;
    if (expected !== undefined ? length !== expected : length === 0 || length > this.#opts.maxPayload)
      return this.#fail({
        kind: 'integrity',
        reason: `frame length ${length} is not allowed for frame type ${type}`,
      });
    this.#seq = seq;
    this.#header = header;
    this.#type = type as FrameType;
    this.#left = length;
    this.#parts = [];
    this.#nonce = gcmNonceInto(this.#nonceBuf, this.#sa.salt, seq);
    const encrypted = this.#opts.transform === 'encryption';
    this.#offload =
      encrypted &&
      type === FrameType.Data &&
      this.#opts.opener !== undefined &&
      length >= (this.#opts.offloadThreshold ?? DEFAULT_OFFLOAD_THRESHOLD);
    if (this.#offload) {
      this.#decipher = undefined;
      // Buffers posted to the worker must own their memory: a view into Node's shared 8 KiB pool
      // would be cloned whole, and copies are what this path exists to avoid.
      this.#tag = Buffer.allocUnsafeSlow(FRAME_TAG_SIZE);
      this.#header = copyOwned(header);
      this.#nonce = copyOwned(this.#nonce);
    } else {
      this.#decipher = createDecipheriv('aes-256-gcm', this.#sa.key, this.#nonce);
      this.#decipher.setAAD(header);
    }
    this.#state = length === 0 ? State.Tag : State.Payload;
  }

  #payload(piece: Buffer, whole: boolean): void {
    if (this.#offload) {
      this.#parts.push(whole && ownsBuffer(piece) ? piece : copyOwned(piece));
    } else if (this.#opts.transform === 'encryption') {
      this.#parts.push((this.#decipher as DecipherGCM).update(piece));
    } else {
      (this.#decipher as DecipherGCM).setAAD(piece);
      this.#parts.push(piece);
    }
  }

  #endFrame(): undefined {
    const parts = this.#parts;
    this.#parts = [];
    this.#state = State.Header;
    if (this.#offload) {
      const entry: Delivery = { kind: 'data', parts: undefined, pending: true };
      this.#pending++;
      this.#queue.push(entry);
      (this.#opts.opener as FrameOpener)
        .open({ key: this.#sa.key, nonce: this.#nonce, header: this.#header, parts, tag: this.#tag })
        .then(
          (plain) => {
            entry.pending = false;
            entry.parts = plain;
            if (!plain) entry.failure = { kind: 'integrity', reason: 'frame tag does not verify (tampered)' };
          },
          (error: Error) => {
            entry.pending = false;
            entry.failure = {
              kind: 'internal',
              reason: `the crypto worker could not open a frame: ${error.message}`,
            };
          },
        )
        .then(() => {
          this.#pending--;
          this.#drain();
        });
      return;
    }
    const decipher = this.#decipher as DecipherGCM;
    this.#decipher = undefined;
    try {
      decipher.setAuthTag(this.#tag);
      decipher.final();
    } catch {
      return this.#fail({ kind: 'integrity', reason: 'frame tag does not verify (tampered)' });
    }
    if (this.#type === FrameType.Data) this.#enqueue({ kind: 'data', parts, pending: false });
    else if (this.#type === FrameType.Rekey) {
      const refused = this.#events.rekey(Buffer.concat(parts));
      if (refused) this.#fail(refused);
    } else if (this.#type === FrameType.End) {
      this.#ended = true;
      this.#enqueue({ kind: 'end' });
    } else {
      this.#state = State.Closed;
      this.#enqueue({ kind: 'abort' });
    }
  }

  #enqueue(entry: Delivery): void {
    if (this.#queue.length === 0) this.#deliver(entry);
    else this.#queue.push(entry);
  }

  #drain(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as Delivery;
      if (head.kind === 'data' && head.pending) return;
      this.#queue.shift();
      if (!this.#deliver(head)) {
        this.#queue = [];
        return;
      }
    }
  }

  /** Returns false once a failure was delivered. */
  #deliver(entry: Delivery): boolean {
    if (entry.kind === 'failure') {
      this.#events.failure(entry.failure);
      return false;
    }
    if (entry.kind === 'end') {
      this.#events.end();
      return true;
    }
    if (entry.kind === 'abort') {
      this.#events.abort();
      return true;
    }
    if (entry.failure) {
      this.#state = State.Dead;
      this.#events.failure(entry.failure);
      return false;
    }
    this.#events.data(entry.parts as Buffer[]);
    return true;
  }
}
