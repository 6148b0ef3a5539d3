import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeSecuritySettings, SecureSocketError } from '../src/index.js';

const MARKER = 'Pw§7f3a';

/** The error of `normalizeSecuritySettings(value)` (it must throw), as every way it can be printed. */
function printed(value: unknown): string {
  try {
    normalizeSecuritySettings(value);
  } catch (error) {
    expect(SecureSocketError.isInstance(error)).toBe(true);
    return [String(error), inspect(error, { depth: 5 }), JSON.stringify(error)].join('\n');
  }
  throw new Error('expected the settings to be refused');
}

const withPassword = (credentials: Record<string, unknown>) => ({ ipsec: { credentials } });

describe('passwords never appear in an error', () => {
  it.each([
    ['an unknown credentials field', { user: 'alice', password: MARKER, pin: 1 }],
    ['a missing user', { password: MARKER }],
    ['a user of the wrong type', { user: 7, password: MARKER }],
    ['an empty user', { user: '', password: MARKER }],
    ['a user too long', { user: 'u'.repeat(600), password: MARKER }],
    ['a password too long', { user: 'alice', password: MARKER.repeat(40) }],
    ['a password with a NUL', { user: 'alice', password: `${MARKER}\0` }],
    ['a password with a lone surrogate', { user: 'alice', password: `${MARKER}\uD800` }],
    ['a password that is not a string', { user: 'alice', password: [MARKER] }],
    ['the domain given twice', { user: 'D\\alice', domain: 'D', password: MARKER }],
    ['an empty domain', { user: 'alice', domain: '', password: MARKER }],
  ])('%s', (_label, credentials) => {
    expect(printed(withPassword(credentials))).not.toContain(MARKER);
  });

  it('a bad field next to good credentials does not print them', () => {
    const good = { user: 'alice', password: MARKER };
    expect(printed({ protocol: 'tls', ipsec: { credentials: good } })).not.toContain(MARKER);
    expect(printed({ protocol: 'default', ipsec: { credentials: good } })).not.toContain(MARKER);
    expect(printed({ ipsec: { credentials: good, mainModePolicyKey: 'x' } })).not.toContain(MARKER);
    expect(printed({ extra: 1, ipsec: { credentials: good } })).not.toContain(MARKER);
  });

  it('property: no malformed credentials ever print the password', () => {
    const password = fc.string({ maxLength: 300 }).map((s) => `${MARKER}${s}`);
    const credentials = fc.record(
      {
        user: fc.oneof(fc.string({ maxLength: 600 }), fc.anything()),
        domain: fc.oneof(fc.string({ maxLength: 300 }), fc.anything()),
        password: fc.oneof(
          password,
          password.map((p) => `${p}\0`),
          password.map((p) => [p]),
        ),
        extra: fc.anything(),
      },
      { requiredKeys: ['password'] },
    );
    fc.assert(
      fc.property(credentials, (value) => {
        try {
          normalizeSecuritySettings({ ipsec: { credentials: value } });
        } catch (error) {
          if (!SecureSocketError.isInstance(error)) return false;
          return !error.message.includes(MARKER);
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });

  it('credentials given as a string are not echoed', () => {
    expect(printed({ ipsec: { credentials: `CONTOSO\\alice:${MARKER}` } })).not.toContain(MARKER);
  });
});
