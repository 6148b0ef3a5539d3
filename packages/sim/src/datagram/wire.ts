/**
 * The datagram wire format of the model (see PROTOCOL.md, "Datagram sockets"): negotiation
 * datagrams carrying one handshake record each, and ESP-like protected datagrams
 * (SPI, 64-bit sequence number, AES-256-GCM). Anything else is clear text.
 * @module
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import {
  HANDSHAKE_MAGIC,
  type HandshakeRecord,
  MAX_HANDSHAKE_BODY,
  MessageType,
  RECORD_HEADER_SIZE,
} from '../negotiation/handshake.js';
import type { SaKeyMaterial } from '../negotiation/sa-keys.js';
import type { Transform } from '../policy/policy.js';

/** First four bytes of every datagram of the model. */
export const DGRAM_MAGIC = Buffer.from('WSKD', 'latin1');
/** Kind byte: a negotiation datagram. */
export const KIND_NEGOTIATE = 1;
/** Kind byte: an ESP-like protected datagram. */
export const KIND_ESP = 2;
/** magic, kind, exchange id (u32), then one handshake record. */
export const NEGOTIATE_HEADER_SIZE = 4 + 1 + 4;
/** magic, kind, SPI (u32), sequence number (u64). */
export const ESP_HEADER_SIZE = 4 + 1 + 4 + 8;
/** GCM tag. */
export const ESP_TAG_SIZE = 16;
/** Bytes an ESP-like datagram adds to its payload. */
export const ESP_OVERHEAD = ESP_HEADER_SIZE + ESP_TAG_SIZE;

/** A datagram as classified on receipt. */
export type Classified =
  | { kind: 'negotiate'; exchangeId: number; record: HandshakeRecord }
  | { kind: 'esp'; spi: number; seq: bigint; header: Buffer; body: Buffer }
  | { kind: 'malformed'; reason: string }
  | { kind: 'clear' };

/** Classifies one received datagram; never throws. */
export function classifyDatagram(data: Buffer): Classified {
  if (data.length < 5 || !data.subarray(0, 4).equals(DGRAM_MAGIC)) return { kind: 'clear' };
  const kind = data[4];
  if (kind === KIND_NEGOTIATE) {
    if (data.length < NEGOTIATE_HEADER_SIZE + RECORD_HEADER_SIZE)
      return { kind: 'malformed', reason: 'negotiation datagram shorter than its headers' };
    const raw = data.subarray(NEGOTIATE_HEADER_SIZE);
    if (!raw.subarray(0, 4).equals(HANDSHAKE_MAGIC))
      return { kind: 'malformed', reason: 'negotiation datagram without a record' };
    const type = raw[4] as number;
    const length = raw.readUInt32BE(5);
    if (type < MessageType.Init || type > MessageType.Notify)
      return { kind: 'malformed', reason: `unknown negotiation message type ${type}` };
    if (length > MAX_HANDSHAKE_BODY || RECORD_HEADER_SIZE + length !== raw.length)
      return { kind: 'malformed', reason: 'negotiation record length does not match the datagram' };
    const copy = Buffer.from(raw);
    return {
      kind: 'negotiate',
      exchangeId: data.readUInt32BE(5),
      record: {
        type: type as MessageType,
        raw: copy,
        header: copy.subarray(0, RECORD_HEADER_SIZE),
        body: copy.subarray(RECORD_HEADER_SIZE),
      },
    };
  }
  if (kind === KIND_ESP) {
    if (data.length < ESP_OVERHEAD)
      return { kind: 'malformed', reason: 'ESP datagram shorter than its headers' };
    return {
      kind: 'esp',
      spi: data.readUInt32BE(5),
      seq: data.readBigUInt64BE(9),
      header: data.subarray(0, ESP_HEADER_SIZE),
      body: data.subarray(ESP_HEADER_SIZE),
    };
  }
  return { kind: 'malformed', reason: `unknown datagram kind ${kind}` };
}

/** A negotiation datagram carrying `record` for exchange `exchangeId`. */
export function encodeNegotiate(exchangeId: number, record: Buffer): Buffer {
  const header = Buffer.alloc(NEGOTIATE_HEADER_SIZE);
  DGRAM_MAGIC.copy(header, 0);
  header[4] = KIND_NEGOTIATE;
  header.writeUInt32BE(exchangeId, 5);
  return Buffer.concat([header, record]);
}

function nonce(salt: Buffer, seq: bigint): Buffer {
  const n = Buffer.alloc(12);
  salt.copy(n, 0, 0, 4);
  n.writeBigUInt64BE(seq, 4);
  return n;
}

/**
 * Seals `payload` under the outbound SA with sequence number `seq`: encrypted (ESP with AES-GCM)
 * or, with integrity only, sent in clear and covered by the tag (ESP with GMAC).
 */
export function sealDatagram(sa: SaKeyMaterial, transform: Transform, seq: bigint, payload: Buffer): Buffer {
  const header = Buffer.alloc(ESP_HEADER_SIZE);
  DGRAM_MAGIC.copy(header, 0);
  header[4] = KIND_ESP;
  header.writeUInt32BE(sa.spi, 5);
  header.writeBigUInt64BE(seq, 9);
  const cipher = createCipheriv('aes-256-gcm', sa.key, nonce(sa.salt, seq));
  if (transform === 'encryption') {
    cipher.setAAD(header);
    const body = Buffer.concat([cipher.update(payload), cipher.final()]);
    return Buffer.concat([header, body, cipher.getAuthTag()]);
  }
  cipher.setAAD(Buffer.concat([header, payload]));
  cipher.final();
  return Buffer.concat([header, payload, cipher.getAuthTag()]);
}

/** Opens an ESP-like datagram under the inbound SA; undefined when it does not authenticate. */
export function openDatagram(
  sa: SaKeyMaterial,
  transform: Transform,
  seq: bigint,
  header: Buffer,
  body: Buffer,
): Buffer | undefined {
  const data = body.subarray(0, body.length - ESP_TAG_SIZE);
  const tag = body.subarray(body.length - ESP_TAG_SIZE);
  try {
    const decipher = createDecipheriv('aes-256-gcm', sa.key, nonce(sa.salt, seq));
    decipher.setAuthTag(tag);
    if (transform === 'encryption') {
      decipher.setAAD(header);
      return Buffer.concat([decipher.update(data), decipher.final()]);
    }
    decipher.setAAD(Buffer.concat([header, data]));
    decipher.final();
    return Buffer.from(data);
  } catch {
    return undefined;
  }
}
