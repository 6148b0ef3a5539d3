/**
 * Raw Ed25519 / X25519 keys as `node:crypto` KeyObjects. JWK is the cheapest import path in
 * node:crypto (about 7× faster than DER), which matters on the handshake path.
 *
 * New keys are made from random bytes, never with `generateKeyPairSync`: the key-generation job
 * that call leaves behind locks its key's mutex when the garbage collector destroys it, and a GC
 * that runs while an export of that same key holds the mutex (a JWK export allocates its strings
 * with it held) deadlocks the process's main thread for good. The sim suite hung that way (a core
 * dump showed `~KeyGenJob` waiting in `uv_mutex_lock` under `ExportJWKEdKey`).
 * @module
 */
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify } from 'node:crypto';

/** An Ed25519 signing key with its raw 32-byte public key. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Raw public key (32 bytes). */
  readonly publicRaw: Buffer;
  /** Raw private seed (32 bytes); serialized into realm files only. */
  readonly seed: Buffer;
}

/** Length of raw Ed25519 and X25519 keys. */
export const RAW_KEY_LENGTH = 32;
/** Length of an Ed25519 signature. */
export const SIGNATURE_LENGTH = 64;

/** A new random Ed25519 key. */
export function generateSigningKey(): SigningKey {
  // Any 32 bytes are an Ed25519 private seed.
  return signingKeyFromSeed(randomBytes(RAW_KEY_LENGTH));
}

/** The Ed25519 key whose private seed is `seed` (32 bytes). */
export function signingKeyFromSeed(seed: Buffer): SigningKey {
  // The PKCS#8 DER of an Ed25519 key is a fixed 16-byte prefix and the seed.
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  const publicRaw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  return { privateKey, publicKey, publicRaw, seed: Buffer.from(seed) };
}

/** Imports a raw Ed25519 public key. */
export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

/** Imports a raw X25519 public key. */
export function x25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

/** A fresh ephemeral X25519 key pair with its raw public key. */
export function generateEphemeral(): { privateKey: KeyObject; publicRaw: Buffer } {
  // Any 32 bytes are an X25519 private key (clamped when used); its PKCS#8 DER is a fixed 16-byte
  // prefix and the key, its SPKI DER a fixed 12-byte prefix and the public key.
  const der = Buffer.concat([X25519_PKCS8_PREFIX, randomBytes(RAW_KEY_LENGTH)]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, publicRaw: Buffer.from(spki.subarray(spki.length - RAW_KEY_LENGTH)) };
}

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** Ed25519 signature of `data`. */
export function signBytes(key: KeyObject, data: Uint8Array): Buffer {
  return sign(null, data, key);
}

/** Verifies an Ed25519 signature; false for anything malformed. */
export function verifyBytes(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_LENGTH) return false;
  try {
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}
