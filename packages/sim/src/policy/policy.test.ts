import {
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP,
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC,
  normalizeSecuritySettings,
  type SecuritySettings,
} from '@wsasec/core';
import { describe, expect, it } from 'vitest';
import { chooseTransform, DEFAULT_LIFETIME, resolvePolicy, type SimPolicy } from './policy.js';

const QM = '11111111-1111-4111-8111-111111111111';
const MM = '22222222-2222-4222-8222-222222222222';

function store(policies: SimPolicy[]) {
  return {
    getPolicy: (key: string) => policies.find((p) => p.key === key),
    defaultPolicy: (mode: 'main' | 'quick') => policies.find((p) => p.mode === mode && p.default),
  };
}

const resolve = (settings: SecuritySettings | undefined, policies: SimPolicy[] = []) =>
  resolvePolicy(normalizeSecuritySettings(settings), store(policies));

describe('resolvePolicy', () => {
  it('the built-in default: machines authenticated, integrity preferred, encryption negotiable (spec §7.4)', () => {
    const p = resolve(undefined);
    expect(p).toMatchObject({
      protect: true,
      mainModeKey: FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP,
      quickModeKey: FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC,
      requireUser: false,
      proposals: ['integrity', 'encryption'],
      lifetime: DEFAULT_LIFETIME,
    });
    expect(DEFAULT_LIFETIME).toEqual({ seconds: 3600, bytes: 55 * 2 ** 30 });
  });

  it('guaranteeEncryption keeps only encryption, and leaves nothing against an integrity-only policy', () => {
    expect(resolve({ guaranteeEncryption: true }).proposals).toEqual(['encryption']);
    const qm: SimPolicy = { key: QM, mode: 'quick', protection: 'integrity' };
    expect(resolve({ guaranteeEncryption: true, ipsec: { quickModePolicyKey: QM } }, [qm]).proposals).toEqual(
      [],
    );
  });

  it('realm policies by key, the built-in keys as the defaults, realm defaults where no key is given', () => {
    const qm: SimPolicy = { key: QM, mode: 'quick', protection: 'encryption', lifetime: { bytes: 10 } };
    const mm: SimPolicy = { key: MM, mode: 'main', authentication: ['machine', 'user'], default: true };
    const p = resolve({ ipsec: { quickModePolicyKey: QM } }, [qm, mm]);
    expect(p).toMatchObject({
      proposals: ['encryption'],
      requireUser: true,
      mainModeKey: MM,
      lifetime: { bytes: 10, seconds: 3600 },
    });
    const builtIn = resolve({ ipsec: { mainModePolicyKey: FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP } }, [
      mm,
    ]);
    expect(builtIn.requireUser).toBe(true);
  });

  it('skipFilterInstantiation protects only when a realm policy covers the socket', () => {
    expect(resolve({ ipsec: { skipFilterInstantiation: true } }).protect).toBe(false);
    const qm: SimPolicy = { key: QM, mode: 'quick', protection: 'integrity' };
    expect(resolve({ ipsec: { skipFilterInstantiation: true, quickModePolicyKey: QM } }, [qm]).protect).toBe(
      true,
    );
    expect(resolve({ ipsec: { skipFilterInstantiation: true } }, [{ ...qm, default: true }]).protect).toBe(
      true,
    );
  });

  it('maps every flag', () => {
    const p = resolve({
      allowInsecure: true,
      ipsec: {
        optionalPeerNameVerification: true,
        allowFirstInboundPacketUnencrypted: true,
        peerNameIsRawFormat: true,
        credentials: { user: 'a', password: 'b' },
      },
    });
    expect(p).toMatchObject({
      allowInsecure: true,
      optionalPeerName: true,
      allowFirstInboundClear: true,
      rawPeerName: true,
      credentials: { user: 'a', password: 'b' },
    });
  });

  it('an unknown key, or a key of the other mode, is WSAEINVAL naming the fix', () => {
    expect(() => resolve({ ipsec: { quickModePolicyKey: QM } })).toThrow(
      expect.objectContaining({ code: 'WSAEINVAL', message: expect.stringMatching(/realm\.addPolicy/) }),
    );
    const mm: SimPolicy = { key: MM, mode: 'main', authentication: ['machine'] };
    expect(() => resolve({ ipsec: { quickModePolicyKey: MM } }, [mm])).toThrow(
      expect.objectContaining({ code: 'WSAEINVAL', message: expect.stringMatching(/main-mode policy/) }),
    );
  });

  it("chooseTransform takes the initiator's first offer the responder accepts", () => {
    expect(chooseTransform(['integrity', 'encryption'], ['encryption', 'integrity'])).toBe('integrity');
    expect(chooseTransform(['encryption'], ['integrity'])).toBeUndefined();
  });
});
