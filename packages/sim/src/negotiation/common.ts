/**
 * What the negotiation's two sides share: the party and outcome types, the signature labels and
 * small helpers (hashing, SPIs, key agreement, message-type checks).
 * @module
 */
import { createHash, diffieHellman, randomBytes } from 'node:crypto';
import type { EffectivePolicy, Transform } from '../policy/policy.js';
import { x25519PublicKey } from '../realm/keys.js';
import type { Account, RealmState } from '../realm/realm.js';
import { HandshakeError, type HandshakeRecord, IKE, type MessageType } from './handshake.js';
import type { QuickModeRoot, SaKeyMaterial } from './sa-keys.js';

/** Smallest frame payload a peer may announce. */
export const MIN_FRAME_PAYLOAD = 1024;

/** Label of the responder machine's signature (followed by TH1). */
export const LABEL_RESPONDER = Buffer.from('wsasec-sim/1 responder ');
/** Label of the initiator machine's signature (followed by TH2). */
export const LABEL_INITIATOR = Buffer.from('wsasec-sim/1 initiator ');
/** Label of the logged-on user's signature (followed by TH2). */
export const LABEL_USER = Buffer.from('wsasec-sim/1 user ');
/** Label of the password key's signature (followed by TH2). */
export const LABEL_PASSWORD = Buffer.from('wsasec-sim/1 password ');

/** One side of a negotiation: who it is and what its policy says. */
export interface NegotiationParty {
  realm: RealmState;
  machine: Account;
  /** The logged-on user (the backend's `user`). */
  user?: Account | undefined;
  policy: EffectivePolicy;
  /** Largest frame payload this side accepts. */
  maxPayload: number;
  now(): number;
}

/** The outcome of a successful negotiation. */
export interface Negotiated {
  role: 'initiator' | 'responder';
  transform: Transform;
  mmSaId: bigint;
  saLookupContext: string;
  root: QuickModeRoot;
  outbound: SaKeyMaterial;
  inbound: SaKeyMaterial;
  /** Frame payload both sides accept. */
  maxPayload: number;
  peerMachine: Account;
  /** The peer user authenticated in extended mode (responder side only). */
  peerUser?: Account | undefined;
  /** The initiator authenticated its logged-on user (socket principal) in extended mode. */
  impersonated: boolean;
}

/** SHA-256 of the concatenation. */
export function sha256(...parts: Buffer[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** A random SPI above the reserved range. */
export function randomSpi(): number {
  // SPIs 1–255 are reserved by IANA for ESP; start above them.
  return 256 + (randomBytes(4).readUInt32BE(0) % (0xffff_ffff - 256));
}

/** Throws a HandshakeError. */
export function fail(code: number, message: string): never {
  throw new HandshakeError(code, message);
}

/** X25519 agreement with a raw peer key; DH_FAIL when the key is unusable. */
export function agree(
  privateKey: Parameters<typeof diffieHellman>[0]['privateKey'],
  peerRaw: Buffer,
): Buffer {
  try {
    return diffieHellman({ privateKey, publicKey: x25519PublicKey(peerRaw) });
  } catch {
    return fail(IKE.ERROR_IPSEC_IKE_DH_FAIL, 'the peer sent an unusable X25519 key');
  }
}

/** UNEXPECTED_MESSAGE_ID unless `record` is of `type`. */
export function expectType(record: HandshakeRecord, type: MessageType, what: string): void {
  if (record.type !== type)
    fail(
      IKE.ERROR_IPSEC_IKE_UNEXPECTED_MESSAGE_ID,
      `expected ${what}, got negotiation message type ${record.type}`,
    );
}
