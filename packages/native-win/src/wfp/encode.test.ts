import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeProviderContext, encodeProviderContext, relocate } from './encode.js';
import { WFP_CONSTANTS as K, WFP_STRUCT_LAYOUTS as L } from './layout.js';
import { type CheckedWfpPolicy, checkWfpPolicy } from './policy.js';

const guid = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .filter((b) => b.some((x) => x !== 0))
  .map((b) => {
    const h = Buffer.from(b).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  });

const policy: fc.Arbitrary<CheckedWfpPolicy> = fc.oneof(
  fc.record({ key: guid, mode: fc.constant('main' as const), user: fc.boolean() }),
  fc.record({
    key: guid,
    mode: fc.constant('quick' as const),
    protection: fc.constantFrom('integrity' as const, 'encryption' as const),
    seconds: fc.integer({ min: 1, max: 315_360_000 }),
    kilobytes: fc.integer({ min: 1, max: 0xffff_ffff }),
  }),
);

describe('FWPM_PROVIDER_CONTEXT0 encoding', () => {
  it('round-trips through the decoder at any base address, every pointer inside the buffer', () => {
    fc.assert(
      fc.property(
        policy,
        fc.bigInt({ min: 0x10000n, max: 0x7fff_ffff_0000n }),
        fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\0')),
        (p, base, name) => {
          const enc = encodeProviderContext(p, name);
          for (const { at, target } of enc.pointers) {
            expect(at % 8).toBe(0);
            expect(target).toBeLessThan(enc.bytes.length);
          }
          const decoded = decodeProviderContext(relocate(enc, base), base);
          expect(decoded).toEqual({
            key: p.key,
            name,
            type:
              p.mode === 'main' ? K.FWPM_IPSEC_AUTHIP_MM_CONTEXT : K.FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT,
            policy: p,
          });
        },
      ),
    );
  });

  it('lays the quick-mode policy out as Microsoft sample does (ND boundary, 10 s, idle 5 min / 1 min)', () => {
    const enc = encodeProviderContext(
      checkWfpPolicy({ key: '6f9619ff-8b86-d011-b42d-00c04fc964ff', mode: 'quick', protection: 'integrity' }),
      'n',
    );
    const bytes = relocate(enc, 0n);
    const tp = Number(bytes.readBigUInt64LE(L.FWPM_PROVIDER_CONTEXT0.offsets.authipQmTransportPolicy));
    const o = L.IPSEC_TRANSPORT_POLICY0.offsets;
    expect(tp).toBeGreaterThanOrEqual(L.FWPM_PROVIDER_CONTEXT0.size);
    expect([
      bytes.readUInt32LE(tp + o.numIpsecProposals),
      bytes.readUInt32LE(tp + o.flags),
      bytes.readUInt32LE(tp + o.ndAllowClearTimeoutSeconds),
      bytes.readUInt32LE(tp + o.saIdleTimeout),
      bytes.readUInt32LE(tp + o.saIdleTimeout + 4),
      bytes.readBigUInt64LE(tp + o.emPolicy),
    ]).toEqual([1, K.IPSEC_POLICY_FLAG_ND_BOUNDARY, 10, 300, 60, 0n]);
  });
});
