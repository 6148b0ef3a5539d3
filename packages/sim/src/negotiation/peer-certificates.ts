/**
 * Verification of a peer's realm certificate against the local copy of the realm, with a cache of
 * certificates already verified (machines reconnect often; a cache hit skips the CA signature check
 * and the key import).
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { type CertificateKind, verifyCertificate } from '../realm/certificates.js';
import { ed25519PublicKey } from '../realm/keys.js';
import type { Account, RealmState } from '../realm/realm.js';
import { HandshakeError, IKE } from './handshake.js';

/** A verified certificate: the realm account it names and its public key. */
export interface VerifiedPrincipal {
  account: Account;
  publicKey: KeyObject;
  notAfter: bigint;
}

const CACHE_LIMIT = 4096;
const caches = new WeakMap<RealmState, { ca?: KeyObject; entries: Map<string, VerifiedPrincipal> }>();

function cacheOf(realm: RealmState) {
  let cache = caches.get(realm);
  if (!cache) {
    cache = { entries: new Map() };
    caches.set(realm, cache);
  }
  return cache;
}

/**
 * Verifies a certificate sent by the peer: issued by this realm's CA, valid now, naming an account
 * of this realm of the expected kind with the same key.
 * @throws HandshakeError `ERROR_IPSEC_IKE_AUTH_FAIL` when it is refused.
 */
export function verifyPeerCertificate(
  realm: RealmState,
  encoded: Buffer,
  kind: CertificateKind,
  now: number,
): VerifiedPrincipal {
  const cache = cacheOf(realm);
  const key = encoded.toString('latin1');
  const hit = cache.entries.get(key);
  if (
    hit &&
    BigInt(Math.floor(now)) <= hit.notAfter &&
    hit.account.kind === kind &&
    realm.accounts.get(hit.account.sid) === hit.account
  ) {
    return hit;
  }
  cache.ca ??= realm.ca.publicKey;
  const cert = verifyCertificate(encoded, { publicKey: cache.ca, domainSid: realm.domainSid }, now);
  if (typeof cert === 'string') {
    const why = {
      malformed: 'is malformed',
      signature: "is not signed by this realm's CA",
      issuer: 'was issued by another realm',
      expired: 'is not valid at this time',
    }[cert];
    throw new HandshakeError(IKE.ERROR_IPSEC_IKE_AUTH_FAIL, `the peer's ${kind} certificate ${why}`);
  }
  const account = realm.accounts.get(cert.sid);
  if (
    !account ||
    account.kind !== kind ||
    account.name !== cert.name ||
    !account.key?.publicRaw.equals(cert.publicKey)
  ) {
    throw new HandshakeError(
      IKE.ERROR_IPSEC_IKE_AUTH_FAIL,
      `the peer's ${kind} certificate names no ${kind} of this realm`,
    );
  }
  const verified = { account, publicKey: ed25519PublicKey(cert.publicKey), notAfter: cert.notAfter };
  if (cache.entries.size >= CACHE_LIMIT) cache.entries.clear();
  cache.entries.set(key, verified);
  return verified;
}
