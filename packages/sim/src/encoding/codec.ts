/**
 * The byte codec shared by certificates and handshake messages: big-endian integers and
 * length-prefixed fields. The reader checks every bound and throws {@link DecodeError}, so a
 * decoder fed arbitrary bytes fails in one known way.
 * @module
 */

/** Raised by {@link ByteReader} for truncated, oversized or malformed input. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/** Builds a byte string field by field. */
export class ByteWriter {
  #parts: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  #add(part: Buffer): this {
    this.#parts.push(part);
    this.#length += part.length;
    return this;
  }

  u8(value: number): this {
    return this.#add(Buffer.from([value & 0xff]));
  }

  u16(value: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16BE(value);
    return this.#add(b);
  }

  u32(value: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(value >>> 0);
    return this.#add(b);
  }

  u64(value: bigint): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64BE(value);
    return this.#add(b);
  }

  /** Bytes of a fixed, known length (no prefix). */
  fixed(bytes: Uint8Array): this {
    return this.#add(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** Bytes with a 16-bit length prefix. */
  bytes16(bytes: Uint8Array): this {
    if (bytes.length > 0xffff) throw new RangeError('field longer than 65535 bytes');
    return this.u16(bytes.length).fixed(bytes);
  }

  /** A UTF-8 string with a 16-bit length prefix. */
  string16(value: string): this {
    return this.bytes16(Buffer.from(value, 'utf8'));
  }

  finish(): Buffer {
    return this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#length);
  }
}

/** Reads fields from a byte string; every read is bounds-checked. */
export class ByteReader {
  readonly #buf: Buffer;
  #pos = 0;

  constructor(buf: Uint8Array) {
    this.#buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  #take(n: number, what: string): Buffer {
    if (n > this.remaining)
      throw new DecodeError(`truncated: ${what} needs ${n} bytes, ${this.remaining} left`);
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  u8(what = 'u8'): number {
    return this.#take(1, what)[0] as number;
  }

  u16(what = 'u16'): number {
    return this.#take(2, what).readUInt16BE(0);
  }

  u32(what = 'u32'): number {
    return this.#take(4, what).readUInt32BE(0);
  }

  u64(what = 'u64'): bigint {
    return this.#take(8, what).readBigUInt64BE(0);
  }

  fixed(n: number, what = 'field'): Buffer {
    return this.#take(n, what);
  }

  /** A 16-bit length-prefixed field of at most `max` bytes. */
  bytes16(max: number, what = 'field'): Buffer {
    const n = this.u16(`${what} length`);
    if (n > max) throw new DecodeError(`${what} is ${n} bytes; at most ${max} are allowed`);
    return this.#take(n, what);
  }

  /** A 16-bit length-prefixed UTF-8 string of at most `max` bytes; must be valid UTF-8. */
  string16(max: number, what = 'string'): string {
    const bytes = this.bytes16(max, what);
    const text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes)) throw new DecodeError(`${what} is not valid UTF-8`);
    return text;
  }

  /** Throws unless every byte was consumed. */
  end(what = 'message'): void {
    if (this.remaining !== 0)
      throw new DecodeError(`${what} has ${this.remaining} unexpected trailing bytes`);
  }
}
