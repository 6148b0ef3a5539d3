/**
 * Protected frames, modelled on ESP (RFC 4303) with AES-256-GCM (RFC 4106) or AES-256-GMAC
 * (RFC 4543): the outbound SA that protects frames and the inbound decoder that verifies them.
 * Pure: no sockets, only bytes in and callbacks out. A frame that fails any check (SPI, sequence,
 * length, tag) delivers nothing of itself and stops the decoder for good.
 *
 * ```
 * 0   u32  SPI of the receiver's inbound SA
 * 4   u64  sequence number (1, 2, …; never reused, never skipped)
 * 12  u8   frame type (1 DATA, 2 REKEY, 3 END, 4 ABORT)
 * 13  u32  payload length
 * 17  …    payload (ciphertext with encryption, plaintext with integrity only)
 * …   16   tag (GCM tag over header [+ payload] as AAD)
 * ```
 * @module
 */
import { createCipheriv, createDecipheriv, type DecipherGCM } from 'node:crypto';
import type { Transform } from './sim-policy.js';
import type { SaKeyMaterial } from './sim-sa-keys.js';

/** Size of a frame header. */
export const FRAME_HEADER_SIZE = 17;
/** Size of a frame tag. */
export const FRAME_TAG_SIZE = 16;
/** Frame types. */
export const FrameType = { Data: 1, Rekey: 2, End: 3, Abort: 4 } as const;
/** A frame type. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType];
/** Payload length of a REKEY frame: generation (4), new SPI (4), nonce (16). */
export const REKEY_PAYLOAD_SIZE = 24;

function gcmNonce(salt: Buffer, seq: bigint): Buffer {
  const nonce = Buffer.allocUnsafe(12);
  salt.copy(nonce, 0, 0, 4);
  nonce.writeBigUInt64BE(seq, 4);
  return nonce;
}

/** The sending half of a quick-mode SA. */
export class OutboundSa {
  readonly material: SaKeyMaterial;
  readonly transform: Transform;
  /** Sequence number of the last frame sent. */
  seq = 0n;
  /** Payload bytes protected so far. */
  bytes = 0;
  /** When the SA started (ms, from the connection's clock). */
  readonly startedAt: number;

  constructor(material: SaKeyMaterial, transform: Transform, startedAt: number) {
    this.material = material;
    this.transform = transform;
    this.startedAt = startedAt;
  }

  /**
   * Protects one frame whose payload is `parts` (`length` bytes in total). Returns the buffers to
   * write, in order: header, payload pieces, tag. With integrity only, the payload pieces are the
   * caller's own buffers.
   */
  protect(type: FrameType, parts: readonly Buffer[], length: number): Buffer[] {
    const seq = ++this.seq;
    this.bytes += length;
    const header = Buffer.allocUnsafe(FRAME_HEADER_SIZE);
    header.writeUInt32BE(this.material.spi, 0);
    header.writeBigUInt64BE(seq, 4);
    header[12] = type;
    header.writeUInt32BE(length, 13);
    const cipher = createCipheriv('aes-256-gcm', this.material.key, gcmNonce(this.material.salt, seq));
    cipher.setAAD(header);
    const out: Buffer[] = [header];
    if (this.transform === 'encryption') {
      for (const part of parts) if (part.length > 0) out.push(cipher.update(part));
    } else {
      for (const part of parts) {
        if (part.length === 0) continue;
        cipher.setAAD(part);
        out.push(part);
      }
    }
    cipher.final();
    out.push(cipher.getAuthTag());
    return out;
  }
}

/** A data frame handed to a worker for opening (see sim-crypto-worker.ts). */
export interface OpenJob {
  key: SaKeyMaterial['key'];
  nonce: Buffer;
  header: Buffer;
  /** Ciphertext pieces; each owns its whole ArrayBuffer, so it can be transferred. */
  parts: Buffer[];
  tag: Buffer;
}

/** Opens data frames off the main thread; resolves with the plaintext, or undefined when the tag fails. */
export interface FrameOpener {
  open(job: OpenJob): Promise<Buffer[] | undefined>;
}

/** Why the decoder stopped. */
export interface FrameFailure {
  /** `'integrity'`: tag, SPI, sequence, type or length check; `'protocol'`: bytes after END. */
  kind: 'integrity' | 'protocol';
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
  /** Smallest encrypted payload handed to the opener. */
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
    const header = Buffer.from(this.#headerBuf);
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
    this.#nonce = gcmNonce(this.#sa.salt, seq);
    const encrypted = this.#opts.transform === 'encryption';
    this.#offload =
      encrypted &&
      type === FrameType.Data &&
      this.#opts.opener !== undefined &&
      length >= (this.#opts.offloadThreshold ?? 65_536);
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
            entry.failure = { kind: 'integrity', reason: `frame could not be opened: ${error.message}` };
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
