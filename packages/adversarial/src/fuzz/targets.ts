/**
 * Fuzz targets: the sim's frame and handshake parsers, its certificate, SDDL and realm-file
 * decoders, and the native-win ABI decoders. Each target draws inputs with fast-check and checks a
 * property: a decoder either returns or fails in its one documented way, and a frame decoder never
 * delivers a byte it did not verify. The short run is in the test suite, the long one is `pnpm fuzz`.
 * @module
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { isDocumentedErrorCode, SecureSocketError } from '@wsasec/core';
import { SimRealm } from '@wsasec/sim';
import {
  DecodeError,
  decodeAuth,
  decodeCertificate,
  decodeIdentity,
  decodeInit,
  decodeNotify,
  decodeResp,
  FrameDecoder,
  FrameType,
  HandshakeError,
  MAX_HANDSHAKE_BUFFERED,
  OutboundSa,
  parseSddl,
  RecordReader,
  type SaKeyMaterial,
} from '@wsasec/sim/internals';
import fc from 'fast-check';
import { adversarialRealm } from '../harness/realm.js';

/** The outcome of fuzzing one target. */
export interface FuzzOutcome {
  failed: boolean;
  numRuns: number;
  /** fast-check's report (the counterexample and how to replay it) when it failed. */
  report: string;
}

/** One fuzz target. */
export interface FuzzTarget {
  name: string;
  /** Checks the target's property on `numRuns` inputs. */
  check(numRuns: number): FuzzOutcome;
}

/** A target from a fast-check property. */
export function fuzzTarget<Ts>(name: string, property: () => fc.IProperty<Ts>): FuzzTarget {
  return {
    name,
    check(numRuns) {
      const details = fc.check(property(), { numRuns });
      return {
        failed: details.failed,
        numRuns: details.numRuns,
        report: details.failed ? (fc.defaultReportMessage(details) ?? 'failed') : '',
      };
    },
  };
}

/** Throws unless `error` is a SecureSocketError with a documented code and a message. */
export function assertDocumented(error: unknown, where: string): void {
  if (
    !SecureSocketError.isInstance(error) ||
    !isDocumentedErrorCode(error.code) ||
    error.message.length === 0
  )
    throw new Error(`${where} threw something other than a documented SecureSocketError: ${String(error)}`);
}

function material(spi = 0x1234): SaKeyMaterial {
  return { spi, key: createSecretKey(randomBytes(32)), salt: randomBytes(4), generation: 0 };
}

/** A decoder that records what it delivers. */
function decoder(sa: SaKeyMaterial, transform: 'integrity' | 'encryption') {
  const delivered: Buffer[] = [];
  let failures = 0;
  const d = new FrameDecoder(
    sa,
    { transform, maxPayload: 4096 },
    {
      data: (parts) => delivered.push(Buffer.concat(parts)),
      rekey: () => undefined,
      end: () => {},
      abort: () => {},
      failure: () => {
        failures++;
      },
    },
  );
  return { d, delivered, failures: () => failures };
}

const chunks = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 });
const transform = fc.constantFrom('integrity' as const, 'encryption' as const);

function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out;
}

function throwsOnly(fn: () => unknown, ...allowed: (new (...a: never[]) => Error)[]): void {
  try {
    fn();
  } catch (error) {
    if (!allowed.some((type) => error instanceof type)) throw error;
  }
}

/** Every fuzz target. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  fuzzTarget('sim frame decoder: random bytes deliver nothing', () =>
    fc.property(chunks, transform, (input, t) => {
      const { d, delivered, failures } = decoder(material(), t);
      for (const c of input) d.feed(Buffer.from(c));
      if (delivered.length > 0) throw new Error('unverified bytes were delivered');
      if (failures() > 1) throw new Error('more than one failure reported');
    }),
  ),
  fuzzTarget('sim frame decoder: one mutated byte stops delivery at that frame', () =>
    fc.property(
      transform,
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 5 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (t, payloads, at, xor, cuts) => {
        const sa = material();
        const out = new OutboundSa(sa, t, 0);
        const frames = payloads.map((p) =>
          Buffer.concat(out.protect(FrameType.Data, [Buffer.from(p)], p.length)),
        );
        const wire = Buffer.concat(frames);
        const pos = at % wire.length;
        wire[pos] = (wire[pos] as number) ^ xor;
        let hit = 0;
        for (let end = frames[0]?.length ?? 0; end <= pos; end += frames[hit]?.length ?? 0) hit++;
        const { d, delivered, failures } = decoder(sa, t);
        for (const c of split(wire, cuts)) d.feed(c);
        if (delivered.length > hit)
          throw new Error(`frame ${hit} was delivered although byte ${pos} was changed`);
        for (let i = 0; i < delivered.length; i++)
          if (!delivered[i]?.equals(Buffer.from(payloads[i] as Uint8Array))) throw new Error('wrong payload');
        // The frames before the changed one are authentic and arrive; nothing from it on.
        if (delivered.length !== hit)
          throw new Error(`${delivered.length} frames delivered, ${hit} expected`);
        if (failures() > 1) throw new Error('more than one failure reported');
      },
    ),
  ),
  fuzzTarget('sim record reader: bounded, fails only with HandshakeError', () =>
    fc.property(chunks, fc.boolean(), (input, magic) => {
      const reader = new RecordReader();
      throwsOnly(() => {
        for (const c of input) {
          const chunk = magic ? Buffer.concat([Buffer.from('WSKE'), Buffer.from(c)]) : Buffer.from(c);
          reader.push(chunk);
          while (reader.next()) {}
          if (reader.buffered > MAX_HANDSHAKE_BUFFERED + chunk.length) throw new Error('unbounded');
        }
      }, HandshakeError);
    }),
  ),
  fuzzTarget('sim handshake message decoders: fail only with HandshakeError', () =>
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const b = Buffer.from(bytes);
      for (const decode of [decodeInit, decodeResp, decodeIdentity, decodeAuth, decodeNotify])
        throwsOnly(() => decode(b), HandshakeError);
    }),
  ),
  fuzzTarget('sim certificate decoder: fails only with DecodeError', () =>
    fc.property(fc.uint8Array({ maxLength: 700 }), fc.boolean(), (bytes, magic) => {
      const b = magic ? Buffer.concat([Buffer.from('WSC1'), Buffer.from(bytes)]) : Buffer.from(bytes);
      throwsOnly(() => decodeCertificate(b), DecodeError);
    }),
  ),
  fuzzTarget('sim SDDL parser: a result or a documented SecureSocketError', () =>
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc
          .array(
            fc.constantFrom(
              'O:',
              'G:',
              'D:',
              'S:',
              '(',
              ')',
              'A;',
              'D;',
              ';;',
              'GA',
              'BA',
              'DU',
              'S-1-5-21-1-2-3-',
              '0x1f',
              'P',
              'AI',
              ';',
              'WD',
              'OICI',
            ),
            { maxLength: 30 },
          )
          .map((parts) => parts.join('')),
      ),
      (sddl) => {
        try {
          parseSddl(sddl, { domainSid: 'S-1-5-21-1004336348-1177238915-682003330' });
        } catch (error) {
          assertDocumented(error, 'parseSddl');
        }
      },
    ),
  ),
  fuzzTarget('sim realm file: a realm or a documented SecureSocketError', () => {
    const valid = adversarialRealm().toJSON() as unknown as Record<string, unknown>;
    return fc.property(
      fc.oneof(
        fc.anything(),
        fc
          .record({ key: fc.constantFrom(...Object.keys(valid)), value: fc.anything() })
          .map(({ key, value }) => ({ ...valid, [key]: value })),
      ),
      (json) => {
        try {
          SimRealm.fromJSON(json);
        } catch (error) {
          assertDocumented(error, 'SimRealm.fromJSON');
        }
      },
    );
  }),
];
