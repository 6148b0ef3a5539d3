/**
 * Key schedule of the model: handshake keys, main-mode SA id and lookup context from the X25519
 * secret; per-direction quick-mode keys, and quick-mode SA ids, from the main-mode key and the
 * whole transcript. HKDF-SHA256 throughout.
 * @module
 */
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';

const MM_INFO = Buffer.from('wsasec-sim/1 main mode');
const QM_INFO = Buffer.from('wsasec-sim/1 quick mode');
const QM_ID_INFO = Buffer.from('wsasec-sim/1 qm sa id');

/** Keys and ids derived once per main mode. */
export interface MainModeKeys {
  /** Seals the initiator's handshake messages. */
  initiatorKey: Buffer;
  /** Seals the responder's handshake messages. */
  responderKey: Buffer;
  /** Root of every quick-mode key (IKE's SKEYID_d). */
  skeyidD: Buffer;
  /** Main-mode SA id (never 0). */
  mmSaId: bigint;
  /** SA lookup context GUID. */
  saLookupContext: string;
}

function guidOf(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function nonZeroId(bytes: Buffer): bigint {
  const id = bytes.readBigUInt64BE(0);
  return id === 0n ? 1n : id;
}

/** Derives the main-mode keys from the X25519 secret and both nonces. */
export function deriveMainMode(shared: Buffer, initiatorNonce: Buffer, responderNonce: Buffer): MainModeKeys {
  const okm = Buffer.from(
    hkdfSync('sha256', shared, Buffer.concat([initiatorNonce, responderNonce]), MM_INFO, 120),
  );
  return {
    initiatorKey: okm.subarray(0, 32),
    responderKey: okm.subarray(32, 64),
    skeyidD: okm.subarray(64, 96),
    mmSaId: nonZeroId(okm.subarray(96, 104)),
    saLookupContext: guidOf(okm.subarray(104, 120)),
  };
}

/** Traffic direction of a quick-mode SA. */
export type Direction = 'initiator-to-responder' | 'responder-to-initiator';

/** Keys of one unidirectional quick-mode SA. */
export interface SaKeyMaterial {
  spi: number;
  key: KeyObject;
  /** 4-byte salt, prefixed to the 64-bit sequence number to make the GCM nonce (as RFC 4106). */
  salt: Buffer;
  /** Rekey generation (0 for the first SA of a direction). */
  generation: number;
}

/** The quick-mode root: derives every SA of a connection. */
export interface QuickModeRoot {
  skeyidD: Buffer;
  /** SHA-256 of INIT, RESP and AUTH. */
  transcript: Buffer;
}

/** Derives the keys of one unidirectional SA, generation `generation`, with the rekey nonce (if any). */
export function deriveSa(
  root: QuickModeRoot,
  direction: Direction,
  generation: number,
  spi: number,
  rekeyNonce: Buffer = Buffer.alloc(0),
): SaKeyMaterial {
  const info = Buffer.alloc(QM_INFO.length + 5 + rekeyNonce.length);
  QM_INFO.copy(info, 0);
  info[QM_INFO.length] = direction === 'initiator-to-responder' ? 1 : 2;
  info.writeUInt32BE(generation, QM_INFO.length + 1);
  rekeyNonce.copy(info, QM_INFO.length + 5);
  const okm = Buffer.from(hkdfSync('sha256', root.skeyidD, root.transcript, info, 36));
  return { spi, key: createSecretKey(okm.subarray(0, 32)), salt: okm.subarray(32, 36), generation };
}

/** The quick-mode SA id of a connection whose directions are at these generations. */
export function quickModeSaId(
  root: QuickModeRoot,
  initiatorGeneration: number,
  responderGeneration: number,
): bigint {
  const info = Buffer.alloc(QM_ID_INFO.length + 8);
  QM_ID_INFO.copy(info, 0);
  info.writeUInt32BE(initiatorGeneration, QM_ID_INFO.length);
  info.writeUInt32BE(responderGeneration, QM_ID_INFO.length + 4);
  return nonZeroId(Buffer.from(hkdfSync('sha256', root.skeyidD, root.transcript, info, 8)));
}

function handshakeNonce(counter: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(counter, 8);
  return nonce;
}

/** Seals a handshake payload (AES-256-GCM; each key seals at most two messages, counters 0 and 1). */
export function seal(key: Buffer, counter: number, aad: Buffer, plain: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, handshakeNonce(counter));
  cipher.setAAD(aad);
  const body = cipher.update(plain);
  cipher.final();
  return Buffer.concat([body, cipher.getAuthTag()]);
}

/** Opens a sealed handshake payload; undefined when it was tampered with. */
export function open(key: Buffer, counter: number, aad: Buffer, sealed: Buffer): Buffer | undefined {
  if (sealed.length < 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, handshakeNonce(counter));
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const plain = decipher.update(sealed.subarray(0, sealed.length - 16));
    decipher.final();
    return plain;
  } catch {
    return undefined;
  }
}
