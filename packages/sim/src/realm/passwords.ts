/**
 * Password verifiers for explicit credentials (`ipsec.credentials`). The realm keeps, per user, a
 * salt and the Ed25519 public key whose private seed is `scrypt(password, salt)`. The initiator
 * derives the private key from the password it was given and signs the handshake transcript; the
 * responder checks that signature against the stored public key. The password never travels, and
 * the verifier is not password-equivalent (unlike an NT hash): recovering the password from it
 * costs one scrypt per guess.
 * @module
 */
import { createHmac, randomBytes, scrypt, scryptSync } from 'node:crypto';
import { type SigningKey, signingKeyFromSeed } from './keys.js';

/** What the realm stores for a user's password. */
export interface PasswordVerifier {
  /** 16 random bytes. */
  readonly salt: Buffer;
  /** log2 of the scrypt cost parameter N (r = 8, p = 1). */
  readonly cost: number;
  /** Raw Ed25519 public key derived from the password. */
  readonly publicKey: Buffer;
}

/** Default scrypt cost (N = 2^14: about 16 MiB and tens of milliseconds per derivation). */
export const DEFAULT_PASSWORD_COST = 14;
/** Accepted range of the scrypt cost. */
export const PASSWORD_COST_RANGE = { min: 10, max: 17 } as const;

/** Derives the Ed25519 key of a password (async: scrypt runs on the libuv thread pool). */
export function derivePasswordKey(password: string, salt: Uint8Array, cost: number): Promise<SigningKey> {
  const n = 2 ** cost;
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(password, 'utf8'),
      salt,
      32,
      { N: n, r: 8, p: 1, maxmem: 256 * n * 8 },
      (err, seed) => {
        if (err) reject(err);
        else resolve(signingKeyFromSeed(seed));
      },
    );
  });
}

/**
 * Creates the verifier of a new password. Synchronous (it runs once per user, when the realm is
 * built), so `realm.addUser()` stays a plain call.
 */
export function createPasswordVerifier(password: string, cost: number): PasswordVerifier {
  const salt = randomBytes(16);
  const n = 2 ** cost;
  const seed = scryptSync(Buffer.from(password, 'utf8'), salt, 32, { N: n, r: 8, p: 1, maxmem: 256 * n * 8 });
  return { salt, cost, publicKey: signingKeyFromSeed(seed).publicRaw };
}

/**
 * The salt an initiator uses for a user its realm copy does not know: deterministic, so the
 * answer (an authentication failure from the responder) does not reveal which names exist.
 */
export function unknownUserSalt(domainSid: string, user: string): Buffer {
  return createHmac('sha256', domainSid).update(user.toLowerCase()).digest().subarray(0, 16);
}
