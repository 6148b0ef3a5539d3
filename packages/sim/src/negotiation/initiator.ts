/**
 * The initiator (client) side of the negotiation: INIT, RESP verification, AUTH, DONE.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Transform } from '../policy/policy.js';
import { generateEphemeral, type SigningKey, signBytes, verifyBytes } from '../realm/keys.js';
import { derivePasswordKey, unknownUserSalt } from '../realm/passwords.js';
import { type Account, findAccount } from '../realm/realm.js';
import {
  agree,
  expectType,
  fail,
  LABEL_INITIATOR,
  LABEL_PASSWORD,
  LABEL_RESPONDER,
  LABEL_USER,
  MIN_FRAME_PAYLOAD,
  type Negotiated,
  type NegotiationParty,
  randomSpi,
  sha256,
} from './common.js';
import {
  decodeIdentity,
  decodeResp,
  encodeAuth,
  encodeInit,
  encodeRecord,
  encodeRecordHeader,
  type HandshakeRecord,
  IKE,
  MessageType,
  NONCE_LENGTH,
  PROTOCOL_VERSION,
  RESP_CLEAR_LENGTH,
  TAG_LENGTH,
  type UserProof,
} from './handshake.js';
import { verifyPeerCertificate } from './peer-certificates.js';
import { deriveMainMode, deriveSa, type MainModeKeys, open, seal } from './sa-keys.js';

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
