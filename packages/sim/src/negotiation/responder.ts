/**
 * The responder (server) side of the negotiation: RESP for an INIT, AUTH verification, DONE.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { chooseTransform, type Transform } from '../policy/policy.js';
import {
  ed25519PublicKey,
  generateEphemeral,
  type SigningKey,
  signBytes,
  verifyBytes,
} from '../realm/keys.js';
import { type Account, findAccount, type RealmState } from '../realm/realm.js';
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
  decodeAuth,
  decodeInit,
  encodeIdentity,
  encodeRecordHeader,
  encodeRespClear,
  type HandshakeRecord,
  IKE,
  MessageType,
  NONCE_LENGTH,
  PROTOCOL_VERSION,
  TAG_LENGTH,
  type UserProof,
} from './handshake.js';
import { verifyPeerCertificate } from './peer-certificates.js';
import { deriveMainMode, deriveSa, type MainModeKeys, open, seal } from './sa-keys.js';

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
