/**
 * Splits one direction of a sim connection into wire units, as an on-path attacker sees them:
 * negotiation records (`WSKE` header, type, length), then protected frames (17-byte header, payload,
 * 16-byte tag), or clear bytes when the stream never started with a record. The layout is the one
 * of the sim's PROTOCOL (sim-handshake.ts, sim-frames.ts); the splitter never decrypts anything.
 * @module
 */

/** Which way a unit travels. */
export type Direction = 'c2s' | 's2c';

/** One unit of the wire. */
export interface WireUnit {
  /** `record`: a negotiation message; `frame`: a protected frame; `clear`: clear bytes. */
  kind: 'record' | 'frame' | 'clear';
  /** Record type (1 INIT … 6 HELLO) or frame type (1 DATA, 2 REKEY, 3 END, 4 ABORT); 0 for clear. */
  type: number;
  bytes: Buffer;
}

/** Negotiation record types, as in sim-handshake.ts. */
export const RecordType = { Init: 1, Resp: 2, Auth: 3, Done: 4, Notify: 5, Hello: 6 } as const;
/** Frame types, as in sim-frames.ts. */
export const FrameKind = { Data: 1, Rekey: 2, End: 3, Abort: 4 } as const;

const MAGIC = Buffer.from('WSKE', 'latin1');
const RECORD_HEADER = 9;
const FRAME_HEADER = 17;
const FRAME_TAG = 16;
// Far above the sim's bounds: a unit this large is not parsed as one but passed on as clear bytes.
const MAX_UNIT = 32 * 1024 * 1024;

/** Incremental splitter of one direction. */
export class UnitSplitter {
  readonly #direction: Direction;
  #buffer: Buffer = Buffer.alloc(0);
  #mode: 'sniff' | 'record' | 'frame' | 'clear' = 'sniff';

  constructor(direction: Direction) {
    this.#direction = direction;
  }

  /** Feeds bytes; returns every complete unit. */
  push(chunk: Buffer): WireUnit[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const out: WireUnit[] = [];
    for (;;) {
      const unit = this.#next();
      if (!unit) return out;
      out.push(unit);
    }
  }

  /** What is left at the end of the stream (a truncated unit), as clear bytes. */
  flush(): WireUnit[] {
    const rest = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return rest.length > 0 ? [{ kind: 'clear', type: 0, bytes: rest }] : [];
  }

  #take(n: number): Buffer {
    const bytes = Buffer.from(this.#buffer.subarray(0, n));
    this.#buffer = this.#buffer.subarray(n);
    return bytes;
  }

  #next(): WireUnit | undefined {
    const buf = this.#buffer;
    if (buf.length === 0) return undefined;
    if (this.#mode === 'sniff' || this.#mode === 'record') {
      const n = Math.min(buf.length, 4);
      if (!buf.subarray(0, n).equals(MAGIC.subarray(0, n))) {
        // After a record, bytes that are not a record are the protected stream (or garbage).
        this.#mode = this.#mode === 'sniff' ? 'clear' : 'frame';
        return this.#next();
      }
      if (buf.length < RECORD_HEADER) return undefined;
      const type = buf[4] as number;
      const total = RECORD_HEADER + buf.readUInt32BE(5);
      if (total > MAX_UNIT) {
        this.#mode = 'clear';
        return this.#next();
      }
      if (buf.length < total) return undefined;
      this.#mode = 'record';
      const done =
        (this.#direction === 'c2s' && type === RecordType.Auth) ||
        (this.#direction === 's2c' && type === RecordType.Done);
      if (done) this.#mode = 'frame';
      if (type === RecordType.Notify) this.#mode = 'clear';
      return { kind: 'record', type, bytes: this.#take(total) };
    }
    if (this.#mode === 'frame') {
      if (buf.length < FRAME_HEADER) return undefined;
      const total = FRAME_HEADER + buf.readUInt32BE(13) + FRAME_TAG;
      if (total > MAX_UNIT) {
        this.#mode = 'clear';
        return this.#next();
      }
      if (buf.length < total) return undefined;
      return { kind: 'frame', type: buf[12] as number, bytes: this.#take(total) };
    }
    return { kind: 'clear', type: 0, bytes: this.#take(buf.length) };
  }
}
