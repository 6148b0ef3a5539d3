/**
 * Handshake message codecs (pure): the record layer that carries negotiation messages over the
 * TCP connection before any SA exists, and one encoder/decoder per message. The wire format is
 * documented in PROTOCOL.md. Decoders throw {@link HandshakeError} with an `ERROR_IPSEC_IKE_*` code
 * and nothing else, whatever bytes they are fed.
 * @module
 */
import { IPSEC_IKE_ERRORS } from '@wsasec/core';
import { ByteReader, ByteWriter, DecodeError } from '../encoding/codec.js';
import type { Transform } from '../policy/policy.js';
import { MAX_CERTIFICATE_SIZE } from '../realm/certificates.js';
import { RAW_KEY_LENGTH, SIGNATURE_LENGTH } from '../realm/keys.js';

/** First bytes of every handshake record: `WSKE`. */
export const HANDSHAKE_MAGIC = Buffer.from('WSKE', 'latin1');
/** Record header: magic (4), message type (1), body length (4). */
export const RECORD_HEADER_SIZE = 9;
/** Largest handshake body accepted; a larger length field fails at once, without buffering. */
export const MAX_HANDSHAKE_BODY = 4096;
/**
 * Most bytes a negotiation reader holds: two records, plus one read (64 KiB) of the protected stream
 * that may follow the last record. A peer that sends more before the negotiation ends is refused,
 * so what a connection holds during negotiation never grows with what the peer sends.
 */
export const MAX_HANDSHAKE_BUFFERED = 2 * (RECORD_HEADER_SIZE + MAX_HANDSHAKE_BODY) + 65_536;
/** Protocol version carried by INIT and RESP. */
export const PROTOCOL_VERSION = 1;
/** Length of nonces. */
export const NONCE_LENGTH = 32;
/** Length of an AES-GCM tag. */
export const TAG_LENGTH = 16;

/** Handshake message types. */
export const MessageType = { Init: 1, Resp: 2, Auth: 3, Done: 4, Notify: 5, Hello: 6 } as const;
/** A handshake message type. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** A negotiation failure with its `ERROR_IPSEC_IKE_*` code. */
export class HandshakeError extends Error {
  override readonly name = 'HandshakeError';
  constructor(
    readonly ikeCode: number,
    message: string,
    /** True when the peer reported the failure (NOTIFY), false when this side found it. */
    readonly fromPeer = false,
  ) {
    super(message);
  }
}

/** Shorthand for the IKE error values. */
export const IKE = IPSEC_IKE_ERRORS;

function malformed(what: string, error: unknown): never {
  const detail = error instanceof DecodeError ? error.message : String(error);
  throw new HandshakeError(IKE.ERROR_IPSEC_IKE_INVALID_PAYLOAD, `malformed ${what}: ${detail}`);
}

/** One record read off the wire. */
export interface HandshakeRecord {
  type: MessageType;
  /** Header and body, as received (the transcript hashes these bytes). */
  raw: Buffer;
  header: Buffer;
  body: Buffer;
}

/** Encodes a record header for a body of `length` bytes. */
export function encodeRecordHeader(type: MessageType, length: number): Buffer {
  const header = Buffer.allocUnsafe(RECORD_HEADER_SIZE);
  HANDSHAKE_MAGIC.copy(header, 0);
  header[4] = type;
  header.writeUInt32BE(length, 5);
  return header;
}

/** Encodes a whole record. */
export function encodeRecord(type: MessageType, body: Buffer): Buffer {
  return Buffer.concat([encodeRecordHeader(type, body.length), body]);
}

/**
 * What the first bytes of a connection are: the start of a handshake record, clear traffic, or
 * not enough bytes yet to tell.
 */
export function classifyFirstBytes(bytes: Buffer): 'handshake' | 'clear' | 'more' {
  const n = Math.min(bytes.length, HANDSHAKE_MAGIC.length);
  if (!bytes.subarray(0, n).equals(HANDSHAKE_MAGIC.subarray(0, n))) return 'clear';
  return n < HANDSHAKE_MAGIC.length ? 'more' : 'handshake';
}

/** Accumulates bytes and splits them into records, bounding every length before buffering. */
export class RecordReader {
  #chunks: Buffer[] = [];
  #length = 0;

  /** Bytes buffered and not yet returned as records. */
  get buffered(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    if (this.#length > MAX_HANDSHAKE_BUFFERED)
      throw new HandshakeError(
        IKE.ERROR_IPSEC_IKE_INVALID_HEADER,
        `the peer sent more than ${MAX_HANDSHAKE_BUFFERED} bytes before the negotiation ended`,
      );
    if (this.#length >= RECORD_HEADER_SIZE) this.#check();
  }

  #flat(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#length)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  #check(): void {
    const head = this.#flat();
    if (!head.subarray(0, 4).equals(HANDSHAKE_MAGIC))
      throw new HandshakeError(
        IKE.ERROR_IPSEC_IKE_INVALID_HEADER,
        'the peer sent bytes that are not a negotiation message',
      );
    const type = head[4] as number;
    if (type < MessageType.Init || type > MessageType.Hello)
      throw new HandshakeError(
        IKE.ERROR_IPSEC_IKE_INVALID_HEADER,
        `unknown negotiation message type ${type}`,
      );
    const length = head.readUInt32BE(5);
    if (length > MAX_HANDSHAKE_BODY)
      throw new HandshakeError(
        IKE.ERROR_IPSEC_IKE_INVALID_HEADER,
        `negotiation message of ${length} bytes exceeds ${MAX_HANDSHAKE_BODY}`,
      );
  }

  /** The next complete record, or undefined when more bytes are needed. */
  next(): HandshakeRecord | undefined {
    if (this.#length < RECORD_HEADER_SIZE) return undefined;
    const buf = this.#flat();
    this.#check();
    const total = RECORD_HEADER_SIZE + buf.readUInt32BE(5);
    if (buf.length < total) return undefined;
    const raw = Buffer.from(buf.subarray(0, total));
    const rest = buf.subarray(total);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#length = rest.length;
    return {
      type: raw[4] as MessageType,
      raw,
      header: raw.subarray(0, RECORD_HEADER_SIZE),
      body: raw.subarray(RECORD_HEADER_SIZE),
    };
  }

  /** Bytes received after the last record (the start of the protected stream). */
  takeRest(): Buffer {
    const rest = this.#length > 0 ? this.#flat() : Buffer.alloc(0);
    this.#chunks = [];
    this.#length = 0;
    return rest;
  }
}

const TRANSFORM_CODES: Record<Transform, number> = { integrity: 1, encryption: 2 };

function transformOf(code: number): Transform {
  if (code === 1) return 'integrity';
  if (code === 2) return 'encryption';
  throw new DecodeError(`unknown transform ${code}`);
}

/** INIT (initiator → responder), all in clear. */
export interface InitMessage {
  version: number;
  nonce: Buffer;
  ephemeral: Buffer;
  spi: number;
  /** Offered transforms, preferred first. */
  proposals: Transform[];
  /** The initiator will authenticate a user in extended mode. */
  userAuth: boolean;
  /** Largest frame payload the initiator accepts. */
  maxPayload: number;
}

/** Encodes an INIT body. */
export function encodeInit(m: InitMessage): Buffer {
  const w = new ByteWriter()
    .u8(m.version)
    .fixed(m.nonce)
    .fixed(m.ephemeral)
    .u32(m.spi)
    .u8(m.proposals.length);
  for (const p of m.proposals) w.u8(TRANSFORM_CODES[p]);
  return w
    .u8(m.userAuth ? 1 : 0)
    .u32(m.maxPayload)
    .finish();
}

/** Decodes an INIT body. */
export function decodeInit(body: Buffer): InitMessage {
  try {
    const r = new ByteReader(body);
    const version = r.u8('version');
    if (version !== PROTOCOL_VERSION)
      throw new HandshakeError(
        IKE.ERROR_IPSEC_IKE_INVALID_MAJOR_VERSION,
        `negotiation version ${version} is not supported (this side speaks ${PROTOCOL_VERSION})`,
      );
    const nonce = Buffer.from(r.fixed(NONCE_LENGTH, 'nonce'));
    const ephemeral = Buffer.from(r.fixed(RAW_KEY_LENGTH, 'ephemeral key'));
    const spi = r.u32('spi');
    const count = r.u8('proposal count');
    if (count < 1 || count > 2) throw new DecodeError(`proposal count ${count} is not 1 or 2`);
    const proposals: Transform[] = [];
    for (let i = 0; i < count; i++) proposals.push(transformOf(r.u8('proposal')));
    if (new Set(proposals).size !== proposals.length) throw new DecodeError('repeated proposal');
    const flags = r.u8('flags');
    if (flags > 1) throw new DecodeError(`unknown flags ${flags}`);
    const maxPayload = r.u32('max payload');
    r.end('INIT');
    if (spi === 0) throw new DecodeError('SPI 0 is reserved');
    return { version, nonce, ephemeral, spi, proposals, userAuth: flags === 1, maxPayload };
  } catch (error) {
    if (error instanceof HandshakeError) throw error;
    return malformed('INIT', error);
  }
}

/** The clear part of RESP (responder → initiator); a sealed part follows it. */
export interface RespMessage {
  version: number;
  nonce: Buffer;
  ephemeral: Buffer;
  spi: number;
  transform: Transform;
  /** The responder requires an extended-mode user authentication. */
  requireUser: boolean;
  maxPayload: number;
  /** AES-GCM ciphertext and tag of {@link IdentityPayload} under the responder's handshake key. */
  sealed: Buffer;
}

/** Encodes the clear part of a RESP body (without the sealed part). */
export function encodeRespClear(m: Omit<RespMessage, 'sealed'>): Buffer {
  return new ByteWriter()
    .u8(m.version)
    .fixed(m.nonce)
    .fixed(m.ephemeral)
    .u32(m.spi)
    .u8(TRANSFORM_CODES[m.transform])
    .u8(m.requireUser ? 1 : 0)
    .u32(m.maxPayload)
    .finish();
}

/** Length of the clear part of RESP. */
export const RESP_CLEAR_LENGTH = 1 + NONCE_LENGTH + RAW_KEY_LENGTH + 4 + 1 + 1 + 4;

/** Decodes a RESP body (the sealed part stays sealed). */
export function decodeResp(body: Buffer): RespMessage & { clear: Buffer } {
  try {
    const r = new ByteReader(body);
    const version = r.u8('version');
    if (version !== PROTOCOL_VERSION)
      throw new HandshakeError(
        IKE.ERROR_IPSEC_IKE_INVALID_MAJOR_VERSION,
        `negotiation version ${version} is not supported (this side speaks ${PROTOCOL_VERSION})`,
      );
    const nonce = Buffer.from(r.fixed(NONCE_LENGTH, 'nonce'));
    const ephemeral = Buffer.from(r.fixed(RAW_KEY_LENGTH, 'ephemeral key'));
    const spi = r.u32('spi');
    const transform = transformOf(r.u8('transform'));
    const flags = r.u8('flags');
    if (flags > 1) throw new DecodeError(`unknown flags ${flags}`);
    const maxPayload = r.u32('max payload');
    const clear = body.subarray(0, r.position);
    const sealed = Buffer.from(r.fixed(r.remaining, 'sealed identity'));
    if (sealed.length < TAG_LENGTH) throw new DecodeError('sealed identity shorter than its tag');
    if (spi === 0) throw new DecodeError('SPI 0 is reserved');
    return { version, nonce, ephemeral, spi, transform, requireUser: flags === 1, maxPayload, sealed, clear };
  } catch (error) {
    if (error instanceof HandshakeError) throw error;
    return malformed('RESP', error);
  }
}

/** A principal's proof: its certificate and its signature of the transcript. */
export interface IdentityPayload {
  certificate: Buffer;
  signature: Buffer;
}

/** Encodes the sealed identity of RESP. */
export function encodeIdentity(p: IdentityPayload): Buffer {
  return new ByteWriter().bytes16(p.certificate).fixed(p.signature).finish();
}

/** Decodes the sealed identity of RESP (after opening). */
export function decodeIdentity(plain: Buffer): IdentityPayload {
  try {
    const r = new ByteReader(plain);
    const certificate = Buffer.from(r.bytes16(MAX_CERTIFICATE_SIZE, 'certificate'));
    const signature = Buffer.from(r.fixed(SIGNATURE_LENGTH, 'signature'));
    r.end('identity');
    return { certificate, signature };
  } catch (error) {
    return malformed('identity payload', error);
  }
}

/** The user proof of extended mode. */
export type UserProof =
  | { kind: 'none' }
  | { kind: 'certificate'; certificate: Buffer; signature: Buffer }
  | { kind: 'password'; user: string; domain: string; signature: Buffer };

/** AUTH (initiator → responder), sealed whole under the initiator's handshake key. */
export interface AuthPayload {
  machine: IdentityPayload;
  user: UserProof;
}

/** Encodes the plaintext of AUTH. */
export function encodeAuth(p: AuthPayload): Buffer {
  const w = new ByteWriter().bytes16(p.machine.certificate).fixed(p.machine.signature);
  switch (p.user.kind) {
    case 'none':
      return w.u8(0).finish();
    case 'certificate':
      return w.u8(1).bytes16(p.user.certificate).fixed(p.user.signature).finish();
    case 'password':
      return w.u8(2).string16(p.user.user).string16(p.user.domain).fixed(p.user.signature).finish();
  }
}

/** Decodes the plaintext of AUTH. */
export function decodeAuth(plain: Buffer): AuthPayload {
  try {
    const r = new ByteReader(plain);
    const machine = {
      certificate: Buffer.from(r.bytes16(MAX_CERTIFICATE_SIZE, 'machine certificate')),
      signature: Buffer.from(r.fixed(SIGNATURE_LENGTH, 'machine signature')),
    };
    const kind = r.u8('user proof kind');
    let user: UserProof;
    if (kind === 0) user = { kind: 'none' };
    else if (kind === 1)
      user = {
        kind: 'certificate',
        certificate: Buffer.from(r.bytes16(MAX_CERTIFICATE_SIZE, 'user certificate')),
        signature: Buffer.from(r.fixed(SIGNATURE_LENGTH, 'user signature')),
      };
    else if (kind === 2)
      user = {
        kind: 'password',
        user: r.string16(1024, 'user name'),
        domain: r.string16(1024, 'domain name'),
        signature: Buffer.from(r.fixed(SIGNATURE_LENGTH, 'password signature')),
      };
    else throw new DecodeError(`unknown user proof kind ${kind}`);
    r.end('AUTH');
    return { machine, user };
  } catch (error) {
    return malformed('AUTH', error);
  }
}

/** Encodes a NOTIFY body: the `ERROR_IPSEC_IKE_*` code that ended the negotiation. */
export function encodeNotify(code: number): Buffer {
  return new ByteWriter().u32(code).finish();
}

/** Decodes a NOTIFY body; unknown codes become `ERROR_IPSEC_IKE_ERROR`. */
export function decodeNotify(body: Buffer): number {
  try {
    const r = new ByteReader(body);
    const code = r.u32('code');
    r.end('NOTIFY');
    return (Object.values(IKE) as number[]).includes(code) ? code : IKE.ERROR_IPSEC_IKE_ERROR;
  } catch (error) {
    return malformed('NOTIFY', error);
  }
}

/**
 * HELLO (responder → initiator, clear, unauthenticated): sent at accept by a server that requires
 * protection, so that an initiator allowed to fall back to clear text learns that the peer speaks
 * the model before it sends anything. Not part of the transcript.
 */
export const HELLO_RECORD: Buffer = encodeRecord(MessageType.Hello, Buffer.from([PROTOCOL_VERSION]));
