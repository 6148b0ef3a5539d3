/**
 * Realm certificates: the realm CA (Ed25519) binds a principal's SID and account name to its
 * Ed25519 public key. A compact binary format (not X.509), documented in PROTOCOL.md. Ed25519
 * signatures are deterministic, so every process that loads one realm file issues byte-identical
 * certificates.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { ByteReader, ByteWriter, DecodeError } from '../encoding/codec.js';
import { RAW_KEY_LENGTH, SIGNATURE_LENGTH, signBytes, verifyBytes } from './keys.js';

/** Magic of a certificate, `WSC1`. */
export const CERTIFICATE_MAGIC = Buffer.from('WSC1', 'latin1');
/** Largest certificate accepted by the decoder. */
export const MAX_CERTIFICATE_SIZE = 1024;

/** Kind of principal a certificate names. */
export type CertificateKind = 'machine' | 'user';

/** The fields of a certificate. */
export interface CertificateFields {
  kind: CertificateKind;
  /** Principal SID. */
  sid: string;
  /** Account name (`SERVER$`, `alice`). */
  name: string;
  /** Domain SID of the issuing realm. */
  issuer: string;
  /** Validity, milliseconds since the epoch. */
  notBefore: bigint;
  notAfter: bigint;
  /** Raw Ed25519 public key of the principal. */
  publicKey: Buffer;
}

/** A decoded certificate: its fields, the signed bytes and the CA signature. */
export interface Certificate extends CertificateFields {
  readonly tbs: Buffer;
  readonly signature: Buffer;
  readonly encoded: Buffer;
}

const KIND_CODES: Record<CertificateKind, number> = { machine: 1, user: 2 };

function encodeTbs(fields: CertificateFields): Buffer {
  return new ByteWriter()
    .fixed(CERTIFICATE_MAGIC)
    .u8(KIND_CODES[fields.kind])
    .u64(fields.notBefore)
    .u64(fields.notAfter)
    .fixed(fields.publicKey)
    .string16(fields.sid)
    .string16(fields.name)
    .string16(fields.issuer)
    .finish();
}

/** Issues (encodes and signs) a certificate with the CA key. */
export function issueCertificate(fields: CertificateFields, caKey: KeyObject): Buffer {
  const tbs = encodeTbs(fields);
  return Buffer.concat([tbs, signBytes(caKey, tbs)]);
}

/**
 * Decodes a certificate without checking its signature.
 * @throws DecodeError for anything malformed.
 */
export function decodeCertificate(encoded: Uint8Array): Certificate {
  if (encoded.length > MAX_CERTIFICATE_SIZE) throw new DecodeError('certificate too large');
  const r = new ByteReader(encoded);
  if (!r.fixed(4, 'certificate magic').equals(CERTIFICATE_MAGIC)) throw new DecodeError('not a certificate');
  const code = r.u8('certificate kind');
  const kind = code === 1 ? 'machine' : code === 2 ? 'user' : undefined;
  if (!kind) throw new DecodeError(`unknown certificate kind ${code}`);
  const notBefore = r.u64();
  const notAfter = r.u64();
  const publicKey = Buffer.from(r.fixed(RAW_KEY_LENGTH, 'public key'));
  const sid = r.string16(200, 'sid');
  const name = r.string16(300, 'name');
  const issuer = r.string16(200, 'issuer');
  const tbsLength = r.position;
  const signature = Buffer.from(r.fixed(SIGNATURE_LENGTH, 'signature'));
  r.end('certificate');
  const bytes = Buffer.from(encoded);
  return {
    kind,
    sid,
    name,
    issuer,
    notBefore,
    notAfter,
    publicKey,
    tbs: bytes.subarray(0, tbsLength),
    signature,
    encoded: bytes,
  };
}

/** Why a certificate was refused. */
export type CertificateProblem = 'malformed' | 'signature' | 'issuer' | 'expired';

/**
 * Decodes and verifies a certificate against the realm CA at time `now` (ms).
 * Returns the certificate or the reason it is refused.
 */
export function verifyCertificate(
  encoded: Uint8Array,
  ca: { publicKey: KeyObject; domainSid: string },
  now: number,
): Certificate | CertificateProblem {
  let cert: Certificate;
  try {
    cert = decodeCertificate(encoded);
  } catch {
    return 'malformed';
  }
  if (cert.issuer !== ca.domainSid) return 'issuer';
  if (!verifyBytes(ca.publicKey, cert.tbs, cert.signature)) return 'signature';
  const t = BigInt(Math.floor(now));
  if (t < cert.notBefore || t > cert.notAfter) return 'expired';
  return cert;
}
