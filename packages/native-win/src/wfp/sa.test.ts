import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToIpv6 } from '../abi/address.js';
import { relocate } from './encode.js';
import { WFP_CONSTANTS as K, WFP_STRUCT_LAYOUTS as L } from './layout.js';
import {
  decodeSaContextEnumTemplate,
  decodeSaContextList,
  encodeSaContextEnumTemplate,
  encodeSaContextList,
  type ReadMemory,
  type WfpIpsecSa,
  type WfpIpsecSaDetails,
  type WfpQuickModeSa,
} from './sa.js';

/** Reads a relocated encoding at `base` as WFP's memory, refusing anything outside it. */
const memory =
  (bytes: Buffer, base: bigint): ReadMemory =>
  (ptr, length) => {
    const at = Number(ptr - base);
    if (ptr < base || at + length > bytes.length) throw new Error(`read outside: 0x${ptr.toString(16)}`);
    return bytes.subarray(at, at + length);
  };

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const ipv4 = fc.ipV4();
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => bytesToIpv6(b));
const sa: fc.Arbitrary<WfpIpsecSa> = fc
  .record({
    spi: u32,
    saTransformType: fc.integer({ min: K.IPSEC_TRANSFORM_AH, max: K.IPSEC_TRANSFORM_ESP_AUTH_FW }),
    auth: fc.record({
      authType: fc.integer({ min: 0, max: 5 }),
      authConfig: fc.integer({ min: 0, max: 255 }),
    }),
    cipher: fc.record({
      cipherType: fc.integer({ min: 1, max: 5 }),
      cipherConfig: fc.integer({ min: 0, max: 255 }),
    }),
  })
  .map((s) => ({
    ...s,
    // What each transform type carries: auth for AH / ESP auth (also firewall), cipher for ESP cipher.
    auth: s.saTransformType === K.IPSEC_TRANSFORM_ESP_CIPHER ? undefined : s.auth,
    cipher:
      s.saTransformType === K.IPSEC_TRANSFORM_ESP_CIPHER ||
      s.saTransformType === K.IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER
        ? s.cipher
        : undefined,
  }));
const details = (v6: boolean): fc.Arbitrary<WfpIpsecSaDetails> =>
  fc.record({
    ipVersion: fc.constant(v6 ? (6 as const) : (4 as const)),
    saDirection: fc.constantFrom('inbound' as const, 'outbound' as const),
    traffic: fc.record({
      localAddress: v6 ? ipv6 : ipv4,
      remoteAddress: v6 ? ipv6 : ipv4,
      trafficType: fc.constantFrom('transport' as const, 'tunnel' as const, 7),
      ipsecFilterId: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
      remotePort: fc.integer({ min: 0, max: 65535 }),
    }),
    flags: u32,
    lifetime: fc.record({ seconds: u32, kilobytes: u32, packets: u32 }),
    idleTimeoutSeconds: u32,
    ndAllowClearTimeoutSeconds: u32,
    qmSaId: u32,
    mmSaId: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
    pfsGroup: fc.integer({ min: 0, max: 6 }),
    saList: fc.array(sa, { maxLength: 3 }),
  });
const context: fc.Arbitrary<WfpQuickModeSa> = fc.boolean().chain((v6) =>
  fc.record({
    saContextId: fc.bigInt({ min: 1n, max: 0xffff_ffff_ffff_ffffn }),
    inboundSa: fc.option(details(v6), { nil: undefined }),
    outboundSa: fc.option(details(v6), { nil: undefined }),
  }),
);

describe('IPSEC_SA_CONTEXT0 decoding', () => {
  it('round-trips SA context lists at any base address, every pointer aligned and inside', () => {
    fc.assert(
      fc.property(
        fc.array(context, { minLength: 1, maxLength: 4 }),
        fc.bigInt({ min: 0x10000n, max: 0x7fff_ffff_0000n }),
        (list, base) => {
          const enc = encodeSaContextList(list);
          for (const { at, target } of enc.pointers) {
            expect(at % 8).toBe(0);
            expect(target % 8).toBe(0);
            expect(target).toBeLessThan(enc.bytes.length);
          }
          const bytes = relocate(enc, base);
          expect(decodeSaContextList(memory(bytes, base), base, list.length)).toEqual(list);
        },
      ),
    );
  });

  it('reads the ESP auth-and-cipher information cipher first, as the header lays it out', () => {
    const list = encodeSaContextList([
      {
        saContextId: 1n,
        inboundSa: undefined,
        outboundSa: {
          ipVersion: 4,
          saDirection: 'outbound',
          traffic: {
            localAddress: '1.2.3.4',
            remoteAddress: '5.6.7.8',
            trafficType: 'transport',
            ipsecFilterId: 0n,
            remotePort: 0,
          },
          flags: 0,
          lifetime: { seconds: 1, kilobytes: 2, packets: 3 },
          idleTimeoutSeconds: 0,
          ndAllowClearTimeoutSeconds: 0,
          qmSaId: 0,
          mmSaId: 0n,
          pfsGroup: 0,
          saList: [
            {
              spi: 9,
              saTransformType: K.IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER,
              auth: { authType: K.IPSEC_AUTH_AES_256, authConfig: 5 },
              cipher: { cipherType: K.IPSEC_CIPHER_TYPE_AES_256, cipherConfig: 8 },
            },
          ],
        },
      },
    ]);
    const info = list.pointers.find((p) => p.target === Math.max(...list.pointers.map((q) => q.target)));
    const at = info?.target ?? 0;
    // saCipherInformation.cipherTransform.cipherTransformId.cipherType at 0, authType at 32.
    expect(list.bytes.readUInt32LE(at)).toBe(K.IPSEC_CIPHER_TYPE_AES_256);
    expect(list.bytes.readUInt8(at + 4)).toBe(8);
    expect(
      list.bytes.readUInt32LE(at + L.IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0.offsets.saAuthInformation),
    ).toBe(K.IPSEC_AUTH_AES_256);
  });

  it('refuses memory that cannot be what the header says (ERR_WSASEC_INTERNAL)', () => {
    const read: ReadMemory = () => Buffer.alloc(L.IPSEC_SA_CONTEXT0.size);
    expect(() => decodeSaContextList(read, 0n, 2)).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_INTERNAL', message: expect.stringMatching(/NULL array/) }),
    );
    expect(() => decodeSaContextList(read, 0x1000n, 2)).toThrow(
      expect.objectContaining({
        code: 'ERR_WSASEC_INTERNAL',
        message: expect.stringMatching(/NULL context/),
      }),
    );
    expect(decodeSaContextList(read, 0n, 0)).toEqual([]);
  });
});

describe('IPSEC_SA_CONTEXT_ENUM_TEMPLATE0 encoding', () => {
  it('writes IPv4 as FWP_UINT32 in host order and IPv6 as FWP_BYTE_ARRAY16_TYPE, and reads back', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.tuple(ipv4, ipv4), fc.tuple(ipv6, ipv6)),
        fc.bigInt({ min: 0x10000n, max: 0x7fff_ffff_0000n }),
        ([localAddress, remoteAddress], base) => {
          const enc = encodeSaContextEnumTemplate({ localAddress, remoteAddress });
          const bytes = relocate(enc, base);
          const type = bytes.readUInt32LE(L.IPSEC_SA_CONTEXT_ENUM_TEMPLATE0.offsets.remoteSubNet);
          expect(type).toBe(localAddress.includes(':') ? K.FWP_BYTE_ARRAY16_TYPE : K.FWP_UINT32);
          expect(decodeSaContextEnumTemplate(bytes, memory(bytes, base))).toEqual({
            localAddress,
            remoteAddress,
          });
        },
      ),
    );
    const v4 = encodeSaContextEnumTemplate({ localAddress: '::ffff:127.0.0.1', remoteAddress: '10.0.0.2' });
    expect(v4.bytes.readUInt32LE(L.FWP_CONDITION_VALUE0.offsets.uint32)).toBe(0x7f000001);
    expect(v4.bytes.length).toBe(L.IPSEC_SA_CONTEXT_ENUM_TEMPLATE0.size);
  });
});
