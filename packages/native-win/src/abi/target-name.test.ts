import { normalizePeerTargetName } from '@wsasec/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePeerTargetName, encodePeerTargetName, resolveTargetNameUnit } from './target-name.js';

const hex = (s: string) => s.replace(/\s+/g, '');
const u16 = (s: string) => Buffer.from(s, 'utf16le').toString('hex');

describe('SOCKET_PEER_TARGET_NAME encoding', () => {
  it('writes a TCP client name with a zero PeerAddress, the length in characters (v1), name at 140', () => {
    const name = 'host/server.contoso.com';
    const buf = encodePeerTargetName(normalizePeerTargetName(name, 0));
    expect(buf.length).toBe(144 + name.length * 2);
    expect(buf.toString('hex')).toBe(
      hex(`00000000 00000000 ${'00'.repeat(128)} ${name.length.toString(16).padStart(2, '0')}000000
           ${u16(name)} 00000000`),
    );
  });

  it('writes an IPv4 peer address as sockaddr_in inside SOCKADDR_STORAGE (network byte order)', () => {
    const buf = encodePeerTargetName(
      normalizePeerTargetName({ name: 'host/a', peerAddress: { address: '192.0.2.10', port: 500 } }, 1),
    );
    expect(buf.subarray(0, 4).toString('hex')).toBe('01000000');
    expect(buf.subarray(8, 24).toString('hex')).toBe(hex('0200 01f4 c000020a 0000000000000000'));
    expect(buf.subarray(24, 136).every((b) => b === 0)).toBe(true);
    expect(buf.readUInt32LE(136)).toBe(6);
  });

  it('writes an IPv6 peer address as sockaddr_in6 with AF_INET6 = 23', () => {
    const buf = encodePeerTargetName(
      normalizePeerTargetName({ name: 'host/b', peerAddress: { address: '2001:db8::1', port: 4500 } }, 2),
    );
    expect(buf.subarray(8, 36).toString('hex')).toBe(
      hex('1700 1194 00000000 20010db8000000000000000000000001 00000000'),
    );
    // IPSEC2: bytes (NtApiDotNet), so 6 characters are 12.
    expect(buf.readUInt32LE(136)).toBe(12);
  });

  it('follows the configured unit (spec §6.1 is unresolved, so it is overridable)', () => {
    const t = normalizePeerTargetName('host/x', 0);
    expect(encodePeerTargetName(t, 'bytes').readUInt32LE(136)).toBe(12);
    expect(encodePeerTargetName(t, 'chars').readUInt32LE(136)).toBe(6);
    expect(resolveTargetNameUnit('auto', 0)).toBe('chars');
    expect(resolveTargetNameUnit('auto', 1)).toBe('chars');
    expect(resolveTargetNameUnit('auto', 2)).toBe('bytes');
  });

  it('decodes what it encodes, both units, v4 and v6 peers (property)', () => {
    const peer = fc.oneof(
      fc.ipV4().map((address) => ({ address, port: 1 })),
      fc.ipV6().map((address) => ({ address, port: 65535 })),
    );
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1, maxLength: 60, unit: 'grapheme' })
          .filter((s) => !s.includes('\0') && s.trim() === s),
        fc.option(peer, { nil: undefined }),
        fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
        fc.constantFrom('auto', 'chars', 'bytes') as fc.Arbitrary<'auto' | 'chars' | 'bytes'>,
        (name, peerAddress, protocol, unit) => {
          const target = normalizePeerTargetName(peerAddress ? { name, peerAddress } : name, protocol);
          const buf = encodePeerTargetName(target, unit);
          expect(decodePeerTargetName(buf, buf.length, unit)).toEqual(target);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a name running past the length when decoding', () => {
    const buf = encodePeerTargetName(normalizePeerTargetName('host/abc', 0));
    expect(() => decodePeerTargetName(buf, 146)).toThrow(/runs past/);
    expect(() => decodePeerTargetName(buf, 100)).toThrow(/at least 140/);
  });
});
