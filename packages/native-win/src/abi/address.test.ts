import { normalizeAddress, SecureSocketError } from '@wsasec/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToIpv6, decodeSockaddr, encodeSockaddr, ipv6ToBytes } from './address.js';

describe('sockaddr encoding', () => {
  it('encodes sockaddr_in in 16 bytes and sockaddr_in6 in 28, family 2 / 23', () => {
    expect(encodeSockaddr({ family: 'ipv4', address: '127.0.0.1', port: 8080 }).toString('hex')).toBe(
      '0200' + '1f90' + '7f000001' + '0000000000000000',
    );
    expect(encodeSockaddr({ family: 'ipv6', address: 'fe80::1', port: 1 }).toString('hex')).toBe(
      '1700' + '0001' + '00000000' + 'fe800000000000000000000000000001' + '00000000',
    );
  });

  it('prints IPv6 bytes as Node canonicalises the literal (property)', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const canonical = normalizeAddress({ address: text }, 'a', 'bind').address;
        expect(bytesToIpv6(ipv6ToBytes(text))).toBe(canonical);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes what it encodes (property)', () => {
    const address = fc.oneof(fc.ipV4(), fc.ipV6());
    fc.assert(
      fc.property(address, fc.integer({ min: 0, max: 65535 }), (text, port) => {
        const a = normalizeAddress({ address: text, port }, 'a', 'bind');
        expect(decodeSockaddr(encodeSockaddr(a))).toEqual(a);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses what is not an address', () => {
    for (const bad of ['1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', 'g::1', '::1.2.3']) {
      expect(() => ipv6ToBytes(bad), bad).toThrow(SecureSocketError);
    }
    const other = Buffer.alloc(16);
    other.writeUInt16LE(10, 0);
    expect(() => decodeSockaddr(other)).toThrow(/neither AF_INET nor AF_INET6/);
    expect(decodeSockaddr(Buffer.alloc(128))).toBeUndefined();
  });
});
