import { createSecretKey, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SaKeyMaterial } from '../negotiation/sa-keys.js';
import type { Transform } from '../policy/policy.js';
import { FrameDecoder, type FrameFailure } from './frame-decoder.js';
import { type FrameOpener, FrameType, type OpenJob, OutboundSa } from './frames.js';

const MAX_PAYLOAD = 4096;

function material(spi = 0x1234_5678): SaKeyMaterial {
  return { spi, key: createSecretKey(randomBytes(32)), salt: randomBytes(4), generation: 0 };
}

/** Runs a decoder over chunks; records everything it reports. */
function decode(sa: SaKeyMaterial, transform: Transform, chunks: Buffer[], opener?: FrameOpener) {
  const events = { data: [] as Buffer[], rekeys: 0, ends: 0, aborts: 0, failures: [] as FrameFailure[] };
  const decoder = new FrameDecoder(
    sa,
    { transform, maxPayload: MAX_PAYLOAD, opener, offloadThreshold: 1024 },
    {
      data: (parts) => events.data.push(Buffer.concat(parts)),
      rekey: () => {
        events.rekeys++;
        return undefined;
      },
      end: () => events.ends++,
      abort: () => events.aborts++,
      failure: (f) => events.failures.push(f),
    },
  );
  for (const c of chunks) decoder.feed(c);
  return { events, decoder };
}

/** Splits `bytes` at the given cut points. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out.filter((c) => c.length > 0);
}

/** An opener that does the worker's job in-process (the worker is tested end to end elsewhere). */
const inlineOpener: FrameOpener = {
  async open(job: OpenJob) {
    const { createDecipheriv } = await import('node:crypto');
    try {
      const d = createDecipheriv('aes-256-gcm', job.key, job.nonce);
      d.setAAD(job.header);
      const out = job.parts.map((p) => d.update(p));
      d.setAuthTag(job.tag);
      d.final();
      return out;
    } catch {
      return undefined;
    }
  },
};

const transforms = fc.constantFrom<Transform>('integrity', 'encryption');
const payloads = fc.array(fc.uint8Array({ minLength: 1, maxLength: 3000 }), { minLength: 1, maxLength: 5 });

describe('frame decoder properties', () => {
  it('arbitrary bytes never throw, never deliver, and stop at the first failure', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        transforms,
        (bytes, cuts, transform) => {
          const { events } = decode(material(), transform, split(Buffer.from(bytes), cuts));
          expect(events.data).toHaveLength(0);
          expect(events.rekeys + events.ends + events.aborts).toBe(0);
          expect(events.failures.length).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('arbitrary bytes after a valid header prefix (right SPI and sequence) still deliver nothing', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        fc.integer({ min: 0, max: 5000 }),
        transforms,
        (tail, length, transform) => {
          const sa = material();
          const header = Buffer.alloc(17);
          header.writeUInt32BE(sa.spi, 0);
          header.writeBigUInt64BE(1n, 4);
          header[12] = FrameType.Data;
          header.writeUInt32BE(length, 13);
          const { events } = decode(sa, transform, [header, Buffer.from(tail)]);
          expect(events.data).toHaveLength(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('protected frames round-trip through any chunking, in order, with either transform and the worker path', async () => {
    await fc.assert(
      fc.asyncProperty(
        payloads,
        fc.array(fc.nat(), { maxLength: 12 }),
        transforms,
        fc.boolean(),
        async (parts, cuts, transform, offload) => {
          const sa = material();
          const out = new OutboundSa(sa, transform, 0);
          const wire = Buffer.concat(
            parts
              .flatMap((p) => out.protect(FrameType.Data, [Buffer.from(p)], p.length))
              .concat(out.protect(FrameType.End, [], 0)),
          );
          const { events } = decode(sa, transform, split(wire, cuts), offload ? inlineOpener : undefined);
          await new Promise((r) => setImmediate(r));
          await new Promise((r) => setImmediate(r));
          expect(events.failures).toEqual([]);
          expect(Buffer.concat(events.data).equals(Buffer.concat(parts.map((p) => Buffer.from(p))))).toBe(
            true,
          );
          expect(events.ends).toBe(1);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('any flipped bit of a protected stream stops it and delivers nothing of the frame it hit', async () => {
    await fc.assert(
      fc.asyncProperty(
        payloads,
        fc.nat(),
        fc.nat({ max: 7 }),
        transforms,
        fc.boolean(),
        async (parts, at, bit, transform, offload) => {
          const sa = material();
          const out = new OutboundSa(sa, transform, 0);
          const frames = parts.map((p) =>
            Buffer.concat(out.protect(FrameType.Data, [Buffer.from(p)], p.length)),
          );
          const wire = Buffer.concat(frames);
          const pos = at % wire.length;
          wire[pos] = (wire[pos] as number) ^ (1 << bit);
          // The frame the flip landed in, and how many whole frames precede it.
          let hit = 0;
          for (let end = frames[0]?.length ?? 0; end <= pos; end += frames[hit]?.length ?? 0) hit++;
          const { events, decoder } = decode(sa, transform, [wire], offload ? inlineOpener : undefined);
          await new Promise((r) => setImmediate(r));
          await new Promise((r) => setImmediate(r));
          // Refused, or (a length field made larger) still waiting for bytes that would be refused.
          if (events.failures.length === 0) expect(decoder.atBoundary).toBe(false);
          else expect(events.failures).toHaveLength(1);
          expect(events.data).toHaveLength(hit);
          for (let i = 0; i < hit; i++)
            expect(events.data[i]?.equals(Buffer.from(parts[i] as Uint8Array))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('any prefix of a stream delivers only whole verified frames', () => {
    fc.assert(
      fc.property(payloads, fc.nat(), transforms, (parts, cut, transform) => {
        const sa = material();
        const out = new OutboundSa(sa, transform, 0);
        const frames = parts.map((p) =>
          Buffer.concat(out.protect(FrameType.Data, [Buffer.from(p)], p.length)),
        );
        const wire = Buffer.concat(frames);
        const prefix = wire.subarray(0, cut % wire.length);
        let whole = 0;
        for (
          let end = frames[0]?.length ?? 0;
          end <= prefix.length && whole < frames.length;
          end += frames[whole]?.length ?? 0
        )
          whole++;
        const { events, decoder } = decode(sa, transform, [prefix]);
        expect(events.failures).toEqual([]);
        expect(events.data).toHaveLength(whole);
        expect(decoder.atBoundary).toBe(
          prefix.length === frames.slice(0, whole).reduce((n, f) => n + f.length, 0),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('a frame replayed, or two frames swapped, is refused', () => {
    fc.assert(
      fc.property(
        payloads.filter((p) => p.length >= 2),
        fc.boolean(),
        transforms,
        (parts, swap, transform) => {
          const sa = material();
          const out = new OutboundSa(sa, transform, 0);
          const frames = parts.map((p) =>
            Buffer.concat(out.protect(FrameType.Data, [Buffer.from(p)], p.length)),
          );
          const wire = swap
            ? Buffer.concat([frames[1] as Buffer, frames[0] as Buffer])
            : Buffer.concat([frames[0] as Buffer, frames[0] as Buffer]);
          const { events } = decode(sa, transform, [wire]);
          expect(events.failures).toHaveLength(1);
          expect(events.data).toHaveLength(swap ? 0 : 1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a length field above the maximum fails at once, before its payload arrives', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_PAYLOAD + 1, max: 0xffff_ffff }), (length) => {
        const sa = material();
        const header = Buffer.alloc(17);
        header.writeUInt32BE(sa.spi, 0);
        header.writeBigUInt64BE(1n, 4);
        header[12] = FrameType.Data;
        header.writeUInt32BE(length, 13);
        const { events } = decode(sa, 'encryption', [header]);
        expect(events.failures).toHaveLength(1);
        expect(events.failures[0]?.reason).toMatch(/length/);
      }),
      { numRuns: 200 },
    );
  });
});
