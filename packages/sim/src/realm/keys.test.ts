import { createPublicKey, diffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ed25519PublicKey,
  generateEphemeral,
  generateSigningKey,
  RAW_KEY_LENGTH,
  signBytes,
  signingKeyFromSeed,
  verifyBytes,
  x25519PublicKey,
} from './keys.js';

describe('keys made from random bytes', () => {
  it('an ephemeral X25519 key: its raw public key is the key’s own, and two ends agree on a secret', () => {
    const a = generateEphemeral();
    const b = generateEphemeral();
    expect(a.privateKey.asymmetricKeyType).toBe('x25519');
    expect(a.publicRaw.length).toBe(RAW_KEY_LENGTH);
    const jwk = createPublicKey(a.privateKey).export({ format: 'jwk' });
    expect(a.publicRaw.toString('base64url')).toBe(jwk.x);
    expect(a.publicRaw.equals(b.publicRaw)).toBe(false);
    const ab = diffieHellman({ privateKey: a.privateKey, publicKey: x25519PublicKey(b.publicRaw) });
    const ba = diffieHellman({ privateKey: b.privateKey, publicKey: x25519PublicKey(a.publicRaw) });
    expect(ab.equals(ba)).toBe(true);
    expect(ab.length).toBe(32);
  });

  it('a signing key signs what its raw public key verifies, and its seed gives the same key back', () => {
    const key = generateSigningKey();
    const other = generateSigningKey();
    expect(key.privateKey.asymmetricKeyType).toBe('ed25519');
    expect(key.seed.length).toBe(RAW_KEY_LENGTH);
    expect(key.seed.equals(other.seed)).toBe(false);
    const data = Buffer.from('signed bytes');
    const signature = signBytes(key.privateKey, data);
    expect(verifyBytes(ed25519PublicKey(key.publicRaw), data, signature)).toBe(true);
    expect(verifyBytes(ed25519PublicKey(other.publicRaw), data, signature)).toBe(false);
    expect(signingKeyFromSeed(key.seed).publicRaw.equals(key.publicRaw)).toBe(true);
  });
});
