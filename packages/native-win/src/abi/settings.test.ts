import { normalizeSecuritySettings, SecureSocketError } from '@wsasec/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSecuritySettings, encodeSecuritySettings, readGuid, writeGuid } from './settings.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const u16 = (s: string) => Buffer.from(s, 'utf16le').toString('hex');

describe('SOCKET_SECURITY_SETTINGS encoding', () => {
  it('encodes no settings as a NULL pointer of length 0', () => {
    expect(encodeSecuritySettings(normalizeSecuritySettings(undefined))).toBeNull();
  });

  it('encodes the basic structure in 8 bytes: protocol, then SecurityFlags', () => {
    const buf = encodeSecuritySettings(normalizeSecuritySettings({ guaranteeEncryption: true }));
    expect(buf?.toString('hex')).toBe('00000000' + '01000000');
    const both = encodeSecuritySettings(
      normalizeSecuritySettings({ protocol: 'ipsec2', guaranteeEncryption: true, allowInsecure: true }),
    );
    expect(both?.toString('hex')).toBe('02000000' + '03000000');
  });

  it('encodes SOCKET_SECURITY_SETTINGS_IPSEC with policy keys and credentials byte for byte', () => {
    const settings = normalizeSecuritySettings({
      protocol: 'ipsec',
      guaranteeEncryption: true,
      ipsec: {
        skipFilterInstantiation: true,
        peerNameIsRawFormat: true,
        mainModePolicyKey: 'b25ea800-0d02-46ed-92bd-7fa84bb73e9d',
        quickModePolicyKey: '{8C2D4144-F8E0-42C0-94CE-7CCFC63B2F9B}',
        credentials: { user: 'CONTOSO\\bob', password: 'pw' },
      },
    });
    const expected = hex(
      `01000000 01000000 09000000
       00a85eb2 020d ed46 92bd7fa84bb73e9d
       44412d8c e0f8 c042 94ce7ccfc63b2f9b
       ${'00'.repeat(16)} 00000000 ${'00'.repeat(8)}
       06000000 0e000000 04000000
       ${u16('bob')}${u16('CONTOSO')}${u16('pw')} 00000000`,
    );
    const buf = encodeSecuritySettings(settings);
    expect(buf?.length).toBe(88 + 6 + 14 + 4);
    expect(buf?.toString('hex')).toBe(expected.toString('hex'));
  });

  it('encodes IPSEC2 settings with the Windows 7 IpsecFlags and no strings in 88 bytes', () => {
    const settings = normalizeSecuritySettings({
      protocol: 'ipsec2',
      allowInsecure: true,
      ipsec: { optionalPeerNameVerification: true, allowFirstInboundPacketUnencrypted: true },
    });
    const buf = encodeSecuritySettings(settings);
    expect(buf?.length).toBe(88);
    expect(buf?.subarray(0, 12).toString('hex')).toBe('02000000' + '02000000' + '06000000');
    expect(buf?.subarray(12).every((b) => b === 0)).toBe(true);
  });

  it('writes a domain given separately after the user name, and lengths in bytes', () => {
    const settings = normalizeSecuritySettings({
      ipsec: { credentials: { user: 'ålice', domain: 'corp.example', password: 'p€ss' } },
    });
    const buf = encodeSecuritySettings(settings) as Buffer;
    expect(buf.readUInt32LE(72)).toBe(10);
    expect(buf.readUInt32LE(76)).toBe(24);
    expect(buf.readUInt32LE(80)).toBe(8);
    expect(buf.subarray(84, 84 + 42).toString('utf16le')).toBe('ålicecorp.examplep€ss');
  });

  it('decodes what it encodes (property)', () => {
    const guid = fc.uuid().map((u) => u.toLowerCase());
    const text = (min: number) =>
      fc.string({ minLength: min, maxLength: 40, unit: 'grapheme' }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(
        fc.record(
          {
            protocol: fc.constantFrom('ipsec', 'ipsec2') as fc.Arbitrary<'ipsec' | 'ipsec2'>,
            guaranteeEncryption: fc.boolean(),
            allowInsecure: fc.boolean(),
            ipsec: fc.record(
              {
                skipFilterInstantiation: fc.boolean(),
                optionalPeerNameVerification: fc.boolean(),
                allowFirstInboundPacketUnencrypted: fc.boolean(),
                peerNameIsRawFormat: fc.boolean(),
                mainModePolicyKey: guid,
                quickModePolicyKey: guid,
                credentials: fc.record(
                  { user: text(1).filter((s) => !s.includes('\\')), domain: text(1), password: text(0) },
                  { requiredKeys: ['user', 'password'] },
                ),
              },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: [] },
        ),
        (raw) => {
          let settings: ReturnType<typeof normalizeSecuritySettings>;
          try {
            settings = normalizeSecuritySettings(raw);
          } catch (error) {
            // Inputs core refuses (e.g. a zero GUID string) are not the encoder's business.
            expect(SecureSocketError.isInstance(error)).toBe(true);
            return;
          }
          const buf = encodeSecuritySettings(settings);
          expect(decodeSecuritySettings(buf, buf?.length ?? 0)).toEqual(settings);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses truncated and inconsistent buffers when decoding', () => {
    expect(() => decodeSecuritySettings(Buffer.alloc(4), 4)).toThrow(/at least 8/);
    const bad = Buffer.alloc(88);
    bad.writeInt32LE(7, 0);
    expect(() => decodeSecuritySettings(bad, 88)).toThrow(/not 0, 1 or 2/);
    const long = Buffer.alloc(88);
    long.writeInt32LE(1, 0);
    long.writeUInt32LE(20, 72);
    expect(() => decodeSecuritySettings(long, 88)).toThrow(/run past/);
    long.writeUInt32LE(3, 72);
    expect(() => decodeSecuritySettings(long, 88)).toThrow(/even/);
  });
});

describe('GUID', () => {
  it('writes Data1-3 little-endian and Data4 as written, and reads it back', () => {
    const buf = Buffer.alloc(16);
    writeGuid(buf, 0, '15a66e17-3f3c-4f7b-aa6c-812aa613dd82');
    expect(buf.toString('hex')).toBe('176ea6153c3f7b4f' + 'aa6c812aa613dd82');
    expect(readGuid(buf, 0)).toBe('15a66e17-3f3c-4f7b-aa6c-812aa613dd82');
    expect(readGuid(Buffer.alloc(16), 0)).toBeUndefined();
    expect(() => writeGuid(buf, 0, 'not-a-guid')).toThrow(SecureSocketError);
  });
});
