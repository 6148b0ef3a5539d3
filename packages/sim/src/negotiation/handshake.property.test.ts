import { normalizeSecuritySettings } from '@wsasec/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../encoding/codec.js';
import { resolvePolicy } from '../policy/policy.js';
import { decodeCertificate, verifyCertificate } from '../realm/certificates.js';
import { type Account, createSimRealm, findAccount, policyStore, realmState } from '../realm/realm.js';
import {
  decodeAuth,
  decodeIdentity,
  decodeInit,
  decodeNotify,
  decodeResp,
  encodeAuth,
  encodeInit,
  encodeRecord,
  encodeRespClear,
  HandshakeError,
  type HandshakeRecord,
  IKE,
  type InitMessage,
  MAX_HANDSHAKE_BUFFERED,
  MessageType,
  RECORD_HEADER_SIZE,
  RecordReader,
} from './handshake.js';
import { Initiator, type NegotiationParty, Responder } from './negotiation.js';

const bytes = (max = 600) => fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u));

/** Calls `fn`; anything it throws must be a HandshakeError. */
function onlyHandshakeErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HandshakeError);
    expect(Object.values(IKE)).toContain((error as HandshakeError).ikeCode);
  }
}

describe('handshake decoders on arbitrary bytes', () => {
  it('every message decoder either decodes or throws a HandshakeError with an IKE code', () => {
    fc.assert(
      fc.property(bytes(), (b) => {
        for (const decode of [decodeInit, decodeResp, decodeAuth, decodeIdentity, decodeNotify]) {
          onlyHandshakeErrors(() => decode(b));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('the record reader, fed any chunks, returns records or throws a HandshakeError, and never holds more than it may', () => {
    fc.assert(
      fc.property(fc.array(bytes(300), { maxLength: 10 }), fc.boolean(), (chunks, magic) => {
        const reader = new RecordReader();
        onlyHandshakeErrors(() => {
          if (magic) reader.push(Buffer.from('WSKE', 'latin1'));
          for (const c of chunks) {
            reader.push(c);
            expect(reader.buffered).toBeLessThanOrEqual(MAX_HANDSHAKE_BUFFERED);
            for (let r = reader.next(); r; r = reader.next()) {
              expect(r.raw.length).toBe(RECORD_HEADER_SIZE + r.body.length);
              expect(r.type).toBeGreaterThanOrEqual(MessageType.Init);
              expect(r.type).toBeLessThanOrEqual(MessageType.Hello);
            }
          }
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('certificates: arbitrary bytes throw only DecodeError and never verify', () => {
    const realm = realmState(createSimRealm({ domain: 'CONTOSO', dnsDomain: 'contoso.com' }));
    fc.assert(
      fc.property(bytes(), (b) => {
        try {
          decodeCertificate(b);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
        expect(
          typeof verifyCertificate(
            b,
            { publicKey: realm.ca.publicKey, domainSid: realm.domainSid },
            Date.now(),
          ),
        ).toBe('string');
      }),
      { numRuns: 500 },
    );
  });
});

describe('handshake codecs round-trip', () => {
  const inits = fc.record({
    version: fc.constant(1),
    nonce: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((u) => Buffer.from(u)),
    ephemeral: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((u) => Buffer.from(u)),
    spi: fc.integer({ min: 1, max: 0xffff_ffff }),
    proposals: fc.constantFrom<InitMessage['proposals']>(
      ['integrity'],
      ['encryption'],
      ['integrity', 'encryption'],
      ['encryption', 'integrity'],
    ),
    userAuth: fc.boolean(),
    maxPayload: fc.integer({ min: 0, max: 0xffff_ffff }),
  });

  it('INIT', () => {
    fc.assert(
      fc.property(inits, (m) => {
        expect(decodeInit(encodeInit(m))).toEqual(m);
      }),
    );
  });

  it('RESP (clear part and sealed tail)', () => {
    fc.assert(
      fc.property(
        inits,
        fc.constantFrom('integrity' as const, 'encryption' as const),
        bytes(200),
        (m, transform, tail) => {
          const sealed = Buffer.concat([tail, Buffer.alloc(16, 1)]);
          const clear = encodeRespClear({ ...m, transform, requireUser: m.userAuth });
          const decoded = decodeResp(Buffer.concat([clear, sealed]));
          expect(decoded.transform).toBe(transform);
          expect(decoded.sealed.equals(sealed)).toBe(true);
          expect(decoded.clear.equals(clear)).toBe(true);
        },
      ),
    );
  });

  it('AUTH with each kind of user proof', () => {
    const sig = fc.uint8Array({ minLength: 64, maxLength: 64 }).map((u) => Buffer.from(u));
    const name = fc.string({ maxLength: 40 }).filter((s) => s.isWellFormed());
    const proof = fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.record({ kind: fc.constant('certificate' as const), certificate: bytes(300), signature: sig }),
      fc.record({ kind: fc.constant('password' as const), user: name, domain: name, signature: sig }),
    );
    fc.assert(
      fc.property(bytes(300), sig, proof, (certificate, signature, user) => {
        const auth = { machine: { certificate, signature }, user };
        expect(decodeAuth(encodeAuth(auth))).toEqual(auth);
      }),
    );
  });
});

describe('negotiation under tampering', () => {
  const realm = createSimRealm({ domain: 'CONTOSO', dnsDomain: 'contoso.com', passwordCost: 10 });
  realm.addMachine('server.contoso.com');
  realm.addMachine('client.contoso.com');
  const state = realmState(realm);
  const policy = resolvePolicy(normalizeSecuritySettings(undefined), policyStore(state));
  const party = (machine: string): NegotiationParty => ({
    realm: state,
    machine: findAccount(state, machine) as Account,
    policy,
    maxPayload: 65_536,
    now: Date.now,
  });
  const record = (raw: Buffer): HandshakeRecord => {
    const reader = new RecordReader();
    reader.push(raw);
    const r = reader.next();
    if (!r) throw new HandshakeError(IKE.ERROR_IPSEC_IKE_INVALID_HEADER, 'incomplete record');
    return r;
  };

  /** Runs a whole negotiation, flipping one bit of message `which` (0 INIT, 1 RESP, 2 AUTH, 3 DONE). */
  async function run(which: number, at: number, bit: number) {
    const initiator = new Initiator(party('client.contoso.com'));
    const responder = new Responder(party('server.contoso.com'));
    const tamper = (i: number, raw: Buffer) => {
      if (i !== which) return raw;
      const copy = Buffer.from(raw);
      const pos = at % copy.length;
      copy[pos] = (copy[pos] as number) ^ (1 << bit);
      return copy;
    };
    const resp = responder.respond(record(tamper(0, initiator.init())));
    initiator.verifyResp(record(tamper(1, resp)));
    const { done, negotiated } = responder.accept(record(tamper(2, await initiator.auth())));
    return { ours: initiator.done(record(tamper(3, done))), theirs: negotiated };
  }

  it('an untouched negotiation agrees on keys and ids', async () => {
    const { ours, theirs } = await run(-1, 0, 0);
    expect(ours.mmSaId).toBe(theirs.mmSaId);
    expect(ours.outbound.spi).toBe(theirs.inbound.spi);
    expect(ours.outbound.key.export().equals(theirs.inbound.key.export())).toBe(true);
    expect(ours.inbound.key.export().equals(theirs.outbound.key.export())).toBe(true);
  });

  it('any flipped bit of any message fails the negotiation with a HandshakeError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }),
        fc.nat(),
        fc.nat({ max: 7 }),
        async (which, at, bit) => {
          const outcome = await run(which, at, bit).then(
            () => 'completed',
            (error: unknown) => error,
          );
          expect(outcome).toBeInstanceOf(HandshakeError);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a record of the wrong type at any step is refused as unexpected', () => {
    const initiator = new Initiator(party('client.contoso.com'));
    const init = record(initiator.init());
    expect(() => initiator.verifyResp(init)).toThrow(
      expect.objectContaining({ ikeCode: IKE.ERROR_IPSEC_IKE_UNEXPECTED_MESSAGE_ID }),
    );
    const responder = new Responder(party('server.contoso.com'));
    expect(() => responder.respond(record(encodeRecord(MessageType.Auth, Buffer.alloc(40))))).toThrow(
      expect.objectContaining({ ikeCode: IKE.ERROR_IPSEC_IKE_UNEXPECTED_MESSAGE_ID }),
    );
  });
});
