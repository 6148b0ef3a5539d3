import { describe, expect, it } from 'vitest';
import {
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP,
  normalizePolicyDescription,
  SecureSocketError,
} from '../src/index.js';

const KEY = '6F9619FF-8B86-D011-B42D-00C04FC964FF';

function refused(value: unknown): SecureSocketError {
  try {
    normalizePolicyDescription(value, 'addPolicy');
  } catch (error) {
    expect(SecureSocketError.isInstance(error)).toBe(true);
    expect((error as SecureSocketError).code).toBe('ERR_WSASEC_INVALID_ARGUMENT');
    expect((error as SecureSocketError).syscall).toBe('addPolicy');
    return error as SecureSocketError;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

describe('normalizePolicyDescription (the one policy shape of every backend)', () => {
  it('returns frozen copies with a lower-case key, default only when true', () => {
    const qm = normalizePolicyDescription(
      { key: KEY, mode: 'quick', protection: 'integrity', lifetime: { seconds: 1.5 }, default: false },
      'addPolicy',
    );
    expect(qm).toEqual({
      key: KEY.toLowerCase(),
      mode: 'quick',
      protection: 'integrity',
      lifetime: { seconds: 1.5 },
    });
    expect(Object.isFrozen(qm)).toBe(true);
    expect(qm.mode === 'quick' && Object.isFrozen(qm.lifetime)).toBe(true);
    const auth = ['machine', 'user'] as const;
    const mm = normalizePolicyDescription(
      { key: KEY, mode: 'main', authentication: auth, default: true },
      'x',
    );
    expect(mm).toEqual({
      key: KEY.toLowerCase(),
      mode: 'main',
      authentication: ['machine', 'user'],
      default: true,
    });
    expect(mm.mode === 'main' && mm.authentication).not.toBe(auth);
  });

  it.each([
    ['not an object', 'quick', /a policy must be an object/],
    ['an array', [], /a policy must be an object/],
    ['no key', { mode: 'quick', protection: 'integrity' }, /non-zero GUID/],
    ['a malformed key', { key: 'nope', mode: 'quick', protection: 'integrity' }, /GUID string/],
    [
      'the zero GUID',
      { key: '00000000-0000-0000-0000-000000000000', mode: 'main', authentication: ['machine'] },
      /non-zero GUID/,
    ],
    [
      'a built-in key',
      { key: FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP, mode: 'main', authentication: ['machine'] },
      /built-in default/,
    ],
    ['an unknown mode', { key: KEY, mode: 'aggressive' }, /mode must be 'main' or 'quick', got "aggressive"/],
    [
      'an unknown field',
      { key: KEY, mode: 'quick', protection: 'integrity', pfs: true },
      /unknown field "pfs"; accepted: key, mode, protection, lifetime, default/,
    ],
    [
      'a bad protection',
      { key: KEY, mode: 'quick', protection: 'none' },
      /'integrity' or 'encryption', got "none"/,
    ],
    [
      'a lifetime field',
      { key: KEY, mode: 'quick', protection: 'integrity', lifetime: { packets: 1 } },
      /unknown field "packets"; accepted: bytes, seconds/,
    ],
    [
      'bytes 0',
      { key: KEY, mode: 'quick', protection: 'integrity', lifetime: { bytes: 0 } },
      /bytes must be a positive integer, got 0/,
    ],
    [
      'seconds beyond ten years',
      { key: KEY, mode: 'quick', protection: 'integrity', lifetime: { seconds: 4e8 } },
      /at most ten years/,
    ],
    [
      'a default that is no boolean',
      { key: KEY, mode: 'quick', protection: 'integrity', default: 1 },
      /default must be true or false, got 1/,
    ],
    [
      'user only',
      { key: KEY, mode: 'main', authentication: ['user'] },
      /\['machine'\] or \['machine', 'user'\], got \["user"\]/,
    ],
    [
      'a repeated method',
      { key: KEY, mode: 'main', authentication: ['machine', 'machine'] },
      /got \["machine", "machine"\]/,
    ],
  ])('refuses %s, saying what is accepted', (_label, value, message) => {
    expect(refused(value).message).toMatch(message);
  });
});
