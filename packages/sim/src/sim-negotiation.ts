/**
 * The negotiation state machines, modelled on IKE/AuthIP and kept free of I/O: the initiator and the
 * responder turn received records into records to send, and finally into the keys of the
 * connection. Main mode: ephemeral X25519, both machines sign the transcript with their realm keys;
 * extended mode: the initiator's user (its logged-on user or explicit credentials) signs it too;
 * quick mode: the transform, SPIs and per-direction keys. Every failure is a {@link HandshakeError}
 * carrying an `ERROR_IPSEC_IKE_*` code.
 * @module
 */
import { createHash, diffieHellman, randomBytes } from 'node:crypto';
import {
  decodeAuth,
  decodeIdentity,
  decodeInit,
  decodeResp,
  encodeAuth,
  encodeIdentity,
  encodeInit,
  encodeRecord,
  encodeRecordHeader,
  encodeRespClear,
  HandshakeError,
  type HandshakeRecord,
  IKE,
  MessageType,
  NONCE_LENGTH,
  PROTOCOL_VERSION,
  RESP_CLEAR_LENGTH,
  TAG_LENGTH,
  type UserProof,
} from './sim-handshake.js';
import {
  ed25519PublicKey,
  generateEphemeral,
  type SigningKey,
  signBytes,
  verifyBytes,
  x25519PublicKey,
} from './sim-keys.js';
import { derivePasswordKey, unknownUserSalt } from './sim-passwords.js';
import { chooseTransform, type EffectivePolicy, type Transform } from './sim-policy.js';
import { type Account, findAccount, type RealmState } from './sim-realm.js';
import { verifyPeerCertificate } from './sim-realm-certs.js';
import {
  deriveMainMode,
  deriveSa,
  type MainModeKeys,
  open,
  type QuickModeRoot,
  type SaKeyMaterial,
  seal,
} from './sim-sa-keys.js';

/** Smallest frame payload a peer may announce. */
export const MIN_FRAME_PAYLOAD = 1024;

const LABEL_RESPONDER = Buffer.from('wsasec-sim/1 responder ');
const LABEL_INITIATOR = Buffer.from('wsasec-sim/1 initiator ');
const LABEL_USER = Buffer.from('wsasec-sim/1 user ');
const LABEL_PASSWORD = Buffer.from('wsasec-sim/1 password ');

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

function sha256(...parts: Buffer[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

function randomSpi(): number {
  // SPIs 1–255 are reserved by IANA for ESP; start above them.
  return 256 + (randomBytes(4).readUInt32BE(0) % (0xffff_ffff - 256));
}

function fail(code: number, message: string): never {
  throw new HandshakeError(code, message);
}

function agree(privateKey: Parameters<typeof diffieHellman>[0]['privateKey'], peerRaw: Buffer): Buffer {
  try {
    return diffieHellman({ privateKey, publicKey: x25519PublicKey(peerRaw) });
  } catch {
    return fail(IKE.ERROR_IPSEC_IKE_DH_FAIL, 'the peer sent an unusable X25519 key');
  }
}

function expectType(record: HandshakeRecord, type: MessageType, what: string): void {
  if (record.type !== type)
    fail(
      IKE.ERROR_IPSEC_IKE_UNEXPECTED_MESSAGE_ID,
      `expected ${what}, got negotiation message type ${record.type}`,
    );
}

/** The initiator (client) side. */
export class Initiator {
  readonly #party: NegotiationParty;
  readonly #ephemeral = generateEphemeral();
  readonly #nonce = randomBytes(NONCE_LENGTH);
  readonly #spi = randomSpi();
  readonly #userAuth: boolean;
  readonly #passwordKey: Promise<SigningKey> | undefined;
  #init: Buffer | undefined;
  #resp: Buffer | undefined;
  #auth: Buffer | undefined;
  #keys: MainModeKeys | undefined;
  #transform: Transform | undefined;
  #peerSpi = 0;
  #peerMachine: Account | undefined;
  #maxPayload = 0;
  #impersonated = false;
  #responderWantsUser = false;

  constructor(party: NegotiationParty) {
    this.#party = party;
    const credentials = party.policy.credentials;
    if (party.policy.requireUser && !credentials && !party.user)
      fail(
        IKE.ERROR_IPSEC_IKE_AUTH_FAIL,
        'the main-mode policy asks for user authentication, but this backend has no logged-on user and the settings give no ipsec.credentials',
      );
    this.#userAuth = party.policy.requireUser || credentials !== undefined;
    if (credentials) {
      const account = findAccount(
        party.realm,
        credentials.domain ? `${credentials.domain}\\${credentials.user}` : credentials.user,
      );
      const verifier = account?.kind === 'user' ? account.password : undefined;
      const salt = verifier?.salt ?? unknownUserSalt(party.realm.domainSid, credentials.user);
      this.#passwordKey = derivePasswordKey(
        credentials.password,
        salt,
        verifier?.cost ?? party.realm.passwordCost,
      );
      // The derivation failing is reported when AUTH is built; keep it from becoming unhandled first.
      this.#passwordKey.catch(() => {});
    }
  }

  /** The INIT record. */
  init(): Buffer {
    if (this.#party.policy.proposals.length === 0)
      fail(
        IKE.ERROR_IPSEC_IKE_POLICY_MATCH,
        'guaranteeEncryption is set but the quick-mode policy only offers integrity protection',
      );
    this.#init = encodeRecord(
      MessageType.Init,
      encodeInit({
        version: PROTOCOL_VERSION,
        nonce: this.#nonce,
        ephemeral: this.#ephemeral.publicRaw,
        spi: this.#spi,
        proposals: [...this.#party.policy.proposals],
        userAuth: this.#userAuth,
        maxPayload: this.#party.maxPayload,
      }),
    );
    return this.#init;
  }

  /**
   * Verifies RESP: the responder's certificate and its signature of the transcript. Returns the
   * authenticated responder machine, for the caller's target-name check.
   */
  verifyResp(record: HandshakeRecord): Account {
    expectType(record, MessageType.Resp, 'RESP');
    const resp = decodeResp(record.body);
    if (!this.#party.policy.proposals.includes(resp.transform))
      fail(IKE.ERROR_IPSEC_IKE_POLICY_MATCH, `the responder chose ${resp.transform}, which was not offered`);
    if (resp.maxPayload < MIN_FRAME_PAYLOAD)
      fail(IKE.ERROR_IPSEC_IKE_INVALID_PAYLOAD, 'the responder announced a frame size below 1 KiB');
    const keys = deriveMainMode(agree(this.#ephemeral.privateKey, resp.ephemeral), this.#nonce, resp.nonce);
    const clearEnd = record.header.length + RESP_CLEAR_LENGTH;
    const plain = open(keys.responderKey, 0, record.raw.subarray(0, clearEnd), resp.sealed);
    if (!plain)
      fail(
        IKE.ERROR_IPSEC_IKE_INVALID_SIGNATURE,
        'RESP was modified in transit (its sealed identity does not open)',
      );
    const identity = decodeIdentity(plain);
    const machine = verifyPeerCertificate(
      this.#party.realm,
      identity.certificate,
      'machine',
      this.#party.now(),
    );
    const th1 = sha256(this.#init as Buffer, record.raw.subarray(0, clearEnd));
    if (!verifyBytes(machine.publicKey, Buffer.concat([LABEL_RESPONDER, th1]), identity.signature))
      fail(
        IKE.ERROR_IPSEC_IKE_INVALID_SIGNATURE,
        'the responder signature does not cover this transcript (modified or replayed)',
      );
    this.#resp = record.raw;
    this.#keys = keys;
    this.#transform = resp.transform;
    this.#peerSpi = resp.spi;
    this.#peerMachine = machine.account;
    this.#maxPayload = Math.min(this.#party.maxPayload, resp.maxPayload);
    this.#responderWantsUser = resp.requireUser;
    if (resp.requireUser && !this.#userAuth && !this.#party.user)
      fail(
        IKE.ERROR_IPSEC_IKE_AUTH_FAIL,
        "the responder's policy requires user authentication, but this backend has no logged-on user and the settings give no ipsec.credentials",
      );
    return machine.account;
  }

  /** The AUTH record: the machine proof and, in extended mode, the user proof. */
  async auth(): Promise<Buffer> {
    const keys = this.#keys as MainModeKeys;
    const th2 = sha256(this.#init as Buffer, this.#resp as Buffer);
    const party = this.#party;
    let user: UserProof = { kind: 'none' };
    const credentials = party.policy.credentials;
    if (credentials) {
      const key = await (this.#passwordKey as Promise<SigningKey>);
      user = {
        kind: 'password',
        user: credentials.user,
        domain: credentials.domain ?? party.realm.domain,
        signature: signBytes(key.privateKey, Buffer.concat([LABEL_PASSWORD, th2])),
      };
    } else if (party.user && (this.#userAuth || this.#responderWantsUser)) {
      user = {
        kind: 'certificate',
        certificate: party.user.certificate as Buffer,
        signature: signBytes((party.user.key as SigningKey).privateKey, Buffer.concat([LABEL_USER, th2])),
      };
      this.#impersonated = true;
    }
    const plain = encodeAuth({
      machine: {
        certificate: party.machine.certificate as Buffer,
        signature: signBytes(
          (party.machine.key as SigningKey).privateKey,
          Buffer.concat([LABEL_INITIATOR, th2]),
        ),
      },
      user,
    });
    const header = encodeRecordHeader(MessageType.Auth, plain.length + TAG_LENGTH);
    this.#auth = Buffer.concat([header, seal(keys.initiatorKey, 0, header, plain)]);
    return this.#auth;
  }

  /** Checks DONE (the responder accepted AUTH) and returns the keys of the connection. */
  done(record: HandshakeRecord): Negotiated {
    expectType(record, MessageType.Done, 'DONE');
    const keys = this.#keys as MainModeKeys;
    const th3 = sha256(this.#init as Buffer, this.#resp as Buffer, this.#auth as Buffer);
    const plain = open(keys.responderKey, 1, Buffer.concat([record.header, th3]), record.body);
    if (plain?.length !== 1 || plain[0] !== 0)
      fail(
        IKE.ERROR_IPSEC_IKE_INVALID_SIGNATURE,
        'DONE does not confirm this transcript (modified or replayed)',
      );
    const root = { skeyidD: keys.skeyidD, transcript: th3 };
    return {
      role: 'initiator',
      transform: this.#transform as Transform,
      mmSaId: keys.mmSaId,
      saLookupContext: keys.saLookupContext,
      root,
      outbound: deriveSa(root, 'initiator-to-responder', 0, this.#peerSpi),
      inbound: deriveSa(root, 'responder-to-initiator', 0, this.#spi),
      maxPayload: this.#maxPayload,
      peerMachine: this.#peerMachine as Account,
      impersonated: this.#impersonated,
    };
  }
}

/** The responder (server) side. */
export class Responder {
  readonly #party: NegotiationParty;
  #init: Buffer | undefined;
  #resp: Buffer | undefined;
  #keys: MainModeKeys | undefined;
  #transform: Transform | undefined;
  #spi = randomSpi();
  #peerSpi = 0;
  #maxPayload = 0;

  constructor(party: NegotiationParty) {
    this.#party = party;
  }

  /** Answers INIT with RESP: the chosen transform and this machine's signed identity. */
  respond(record: HandshakeRecord): Buffer {
    expectType(record, MessageType.Init, 'INIT');
    const init = decodeInit(record.body);
    const party = this.#party;
    if (!party.policy.protect)
      fail(
        IKE.ERROR_IPSEC_IKE_NO_POLICY,
        'no IPsec policy covers this socket (skipFilterInstantiation without a realm policy)',
      );
    const transform = chooseTransform(init.proposals, party.policy.proposals);
    if (!transform)
      fail(
        IKE.ERROR_IPSEC_IKE_POLICY_MATCH,
        `no common quick-mode transform: offered ${init.proposals.join(', ')}, accepted ${party.policy.proposals.join(', ') || 'none'}`,
      );
    if (init.maxPayload < MIN_FRAME_PAYLOAD)
      fail(IKE.ERROR_IPSEC_IKE_INVALID_PAYLOAD, 'the initiator announced a frame size below 1 KiB');
    const ephemeral = generateEphemeral();
    const nonce = randomBytes(NONCE_LENGTH);
    const keys = deriveMainMode(agree(ephemeral.privateKey, init.ephemeral), init.nonce, nonce);
    const clear = encodeRespClear({
      version: PROTOCOL_VERSION,
      nonce,
      ephemeral: ephemeral.publicRaw,
      spi: this.#spi,
      transform,
      requireUser: party.policy.requireUser,
      maxPayload: party.maxPayload,
    });
    const certificate = party.machine.certificate as Buffer;
    const sealedLength = 2 + certificate.length + 64 + TAG_LENGTH;
    const header = encodeRecordHeader(MessageType.Resp, clear.length + sealedLength);
    const th1 = sha256(record.raw, header, clear);
    const signature = signBytes(
      (party.machine.key as SigningKey).privateKey,
      Buffer.concat([LABEL_RESPONDER, th1]),
    );
    const sealed = seal(
      keys.responderKey,
      0,
      Buffer.concat([header, clear]),
      encodeIdentity({ certificate, signature }),
    );
    this.#init = record.raw;
    this.#resp = Buffer.concat([header, clear, sealed]);
    this.#keys = keys;
    this.#transform = transform;
    this.#peerSpi = init.spi;
    this.#maxPayload = Math.min(party.maxPayload, init.maxPayload);
    return this.#resp;
  }

  /** Verifies AUTH (machine and user proofs) and returns DONE with the keys of the connection. */
  accept(record: HandshakeRecord): { done: Buffer; negotiated: Negotiated } {
    expectType(record, MessageType.Auth, 'AUTH');
    const keys = this.#keys as MainModeKeys;
    const party = this.#party;
    const plain = open(keys.initiatorKey, 0, record.header, record.body);
    if (!plain)
      fail(
        IKE.ERROR_IPSEC_IKE_INVALID_SIGNATURE,
        'AUTH was modified in transit or replayed (it does not open)',
      );
    const auth = decodeAuth(plain);
    const th2 = sha256(this.#init as Buffer, this.#resp as Buffer);
    const machine = verifyPeerCertificate(party.realm, auth.machine.certificate, 'machine', party.now());
    if (!verifyBytes(machine.publicKey, Buffer.concat([LABEL_INITIATOR, th2]), auth.machine.signature))
      fail(
        IKE.ERROR_IPSEC_IKE_INVALID_SIGNATURE,
        'the initiator machine signature does not cover this transcript',
      );
    let peerUser: Account | undefined;
    if (auth.user.kind === 'certificate') {
      const user = verifyPeerCertificate(party.realm, auth.user.certificate, 'user', party.now());
      if (!verifyBytes(user.publicKey, Buffer.concat([LABEL_USER, th2]), auth.user.signature))
        fail(
          IKE.ERROR_IPSEC_IKE_INVALID_SIGNATURE,
          'the initiator user signature does not cover this transcript',
        );
      peerUser = user.account;
    } else if (auth.user.kind === 'password') {
      peerUser = verifyPassword(party.realm, auth.user, th2);
    }
    if (party.policy.requireUser && !peerUser)
      fail(
        IKE.ERROR_IPSEC_IKE_AUTH_FAIL,
        'the main-mode policy requires user authentication and the initiator authenticated no user',
      );
    const th3 = sha256(this.#init as Buffer, this.#resp as Buffer, record.raw);
    const header = encodeRecordHeader(MessageType.Done, 1 + TAG_LENGTH);
    const done = Buffer.concat([
      header,
      seal(keys.responderKey, 1, Buffer.concat([header, th3]), Buffer.from([0])),
    ]);
    const root = { skeyidD: keys.skeyidD, transcript: th3 };
    return {
      done,
      negotiated: {
        role: 'responder',
        transform: this.#transform as Transform,
        mmSaId: keys.mmSaId,
        saLookupContext: keys.saLookupContext,
        root,
        outbound: deriveSa(root, 'responder-to-initiator', 0, this.#peerSpi),
        inbound: deriveSa(root, 'initiator-to-responder', 0, this.#spi),
        maxPayload: this.#maxPayload,
        peerMachine: machine.account,
        peerUser,
        impersonated: false,
      },
    };
  }
}

function verifyPassword(
  realm: RealmState,
  proof: Extract<UserProof, { kind: 'password' }>,
  th2: Buffer,
): Account {
  const account = findAccount(realm, `${proof.domain}\\${proof.user}`);
  const refuse = () =>
    fail(
      IKE.ERROR_IPSEC_IKE_AUTH_FAIL,
      'the explicit credentials were refused (unknown user or wrong password)',
    );
  if (account?.kind !== 'user' || !account.password) return refuse();
  if (!account.passwordKey) account.passwordKey = ed25519PublicKey(account.password.publicKey);
  if (!verifyBytes(account.passwordKey, Buffer.concat([LABEL_PASSWORD, th2]), proof.signature))
    return refuse();
  return account;
}
