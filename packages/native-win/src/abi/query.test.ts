import { normalizeQuery, TOKEN_QUERY } from '@wsasec/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeQueryInfo,
  decodeQueryTemplate,
  encodeQueryInfo,
  encodeQueryTemplate,
  type QueryInfo,
} from './query.js';

const hex = (s: string) => s.replace(/\s+/g, '');

describe('SOCKET_SECURITY_QUERY_TEMPLATE encoding', () => {
  it("passes NULL for the default query on a TCP socket (as Microsoft's sample does)", () => {
    expect(encodeQueryTemplate(normalizeQuery(undefined, 0))).toBeNull();
  });

  it('writes a 144-byte template with the token access mask at 136', () => {
    const buf = encodeQueryTemplate(normalizeQuery({ tokenAccess: TOKEN_QUERY }, 1)) as Buffer;
    expect(buf.length).toBe(144);
    expect(buf.toString('hex')).toBe(hex(`01000000 00000000 ${'00'.repeat(128)} 08000000 00000000`));
  });

  it('writes the peer address of a datagram query', () => {
    const buf = encodeQueryTemplate(
      normalizeQuery({ peerAddress: { address: '::1', port: 500 }, tokenAccess: 0x20008 }, 0),
    ) as Buffer;
    expect(buf.subarray(8, 36).toString('hex')).toBe(
      hex('1700 01f4 00000000 00000000000000000000000000000001 00000000'),
    );
    expect(buf.readUInt32LE(136)).toBe(0x20008);
  });

  it('writes the 152-byte IPSEC2 template with Flags at 140 and FieldMask at 144', () => {
    const buf = encodeQueryTemplate(
      normalizeQuery({ ipsec2: { fieldMask: 3, abortOnFieldChange: true }, tokenAccess: 8 }, 1),
    ) as Buffer;
    expect(buf.length).toBe(152);
    expect(buf.readInt32LE(0)).toBe(2);
    expect(buf.subarray(136, 152).toString('hex')).toBe(hex('08000000 01000000 03000000 00000000'));
    // A socket secured with IPSEC2 asks for the IPSEC2 result even without ipsec2 options.
    expect(encodeQueryTemplate(normalizeQuery(undefined, 2))?.length).toBe(152);
  });

  it('decodes what it encodes (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.option(
          fc.ipV4().map((address) => ({ address, port: 9 })),
          { nil: undefined },
        ),
        fc.option(
          fc.record({ fieldMask: fc.integer({ min: 1, max: 3 }), abortOnFieldChange: fc.boolean() }),
          {
            nil: undefined,
          },
        ),
        (protocol, tokenAccess, peerAddress, ipsec2) => {
          const query = normalizeQuery(
            { tokenAccess, ...(peerAddress ? { peerAddress } : {}), ...(ipsec2 ? { ipsec2 } : {}) },
            protocol,
          );
          const buf = encodeQueryTemplate(query);
          const decoded = decodeQueryTemplate(buf, buf?.length ?? 0);
          const expected =
            query.protocol === 2 && !query.ipsec2
              ? { ...query, ipsec2: { fieldMask: 0, abortOnFieldChange: false } }
              : query;
          expect(decoded).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('SOCKET_SECURITY_QUERY_INFO decoding', () => {
  it('reads the 24-byte structure (no IPSEC2 fields)', () => {
    const buf = Buffer.from(hex('01000000 03000000 4400000000000000 4800000000000000'), 'hex');
    expect(decodeQueryInfo(buf, 24)).toEqual({
      protocol: 1,
      flags: 3,
      applicationToken: 0x44n,
      machineToken: 0x48n,
    });
  });

  it('reads the IPSEC2 fields only when 64 bytes came back', () => {
    const info: QueryInfo = {
      protocol: 2,
      flags: 1,
      applicationToken: 0n,
      machineToken: 0x1234n,
      ipsec2: {
        mmSaId: 0xfedcba9876543210n,
        qmSaId: 7n,
        negotiationError: 13801,
        saLookupContext: '6b29fc40-ca47-1067-b31d-00dd010662da',
      },
    };
    const buf = encodeQueryInfo(info);
    expect(buf.length).toBe(64);
    expect(buf.subarray(24, 64).toString('hex')).toBe(
      hex('1032547698badcfe 0700000000000000 e9350000 40fc296b47ca6710b31d00dd010662da 00000000'),
    );
    expect(decodeQueryInfo(buf, 64)).toEqual(info);
    const { ipsec2: _, ...v1 } = info;
    expect(decodeQueryInfo(buf, 24)).toEqual(v1);
  });

  it('refuses fewer than 24 bytes', () => {
    expect(() => decodeQueryInfo(Buffer.alloc(24), 16)).toThrow(/needs 24/);
  });
});
