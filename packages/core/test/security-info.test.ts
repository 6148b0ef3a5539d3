import { describe, expect, it } from 'vitest';
import {
  createPeerToken,
  createSecurityInfo,
  type PeerToken,
  SOCKET_INFO_CONNECTION_ENCRYPTED,
  SOCKET_INFO_CONNECTION_IMPERSONATED,
  SOCKET_INFO_CONNECTION_SECURED,
} from '../src/index.js';

function token(kind: 'application' | 'machine' = 'machine') {
  const released: string[] = [];
  const user = { sid: 'S-1-5-21-1-2-3-1001', name: 'alice', domain: 'CONTOSO' };
  const groups = [{ sid: 'S-1-1-0', name: 'Everyone' }];
  const t = createPeerToken({ kind, user, groups, access: 8, release: () => released.push(kind) });
  return { t, released, user, groups };
}

describe('createPeerToken', () => {
  it('copies and freezes the principals it is given', () => {
    const { t, user, groups } = token();
    expect(t.user).toEqual(user);
    expect(t.user).not.toBe(user);
    expect(Object.isFrozen(t.user)).toBe(true);
    expect(Object.isFrozen(t.groups)).toBe(true);
    expect(Object.isFrozen(t.groups[0])).toBe(true);
    user.name = 'mallory';
    groups.push({ sid: 'S-1-5-32-544', name: 'Administrators' });
    expect(t.user.name).toBe('alice');
    expect(t.groups).toHaveLength(1);
    expect(t.kind).toBe('machine');
    expect(t.access).toBe(8);
  });

  it('close is idempotent and releases the handle once; using closes it', () => {
    const { t, released } = token();
    expect(t.closed).toBe(false);
    t.close();
    t.close();
    t[Symbol.dispose]();
    expect(t.closed).toBe(true);
    expect(released).toEqual(['machine']);
    const scoped = token();
    {
      using held = scoped.t;
      expect(held.closed).toBe(false);
    }
    expect(scoped.t.closed).toBe(true);
    expect(scoped.released).toHaveLength(1);
  });
});

describe('createSecurityInfo', () => {
  it.each([
    [0, false, false, false],
    [SOCKET_INFO_CONNECTION_SECURED, true, false, false],
    [SOCKET_INFO_CONNECTION_SECURED | SOCKET_INFO_CONNECTION_ENCRYPTED, true, true, false],
    [SOCKET_INFO_CONNECTION_SECURED | SOCKET_INFO_CONNECTION_IMPERSONATED, true, false, true],
  ])('flags %i → secured %s, encrypted %s, impersonated %s', (flags, secured, encrypted, impersonated) => {
    const info = createSecurityInfo({ protocol: 1, flags });
    expect({ secured: info.secured, encrypted: info.encrypted, impersonated: info.impersonated }).toEqual({
      secured,
      encrypted,
      impersonated,
    });
    expect(info.flags).toBe(flags);
    expect(info.protocol).toBe('ipsec');
  });

  it('omits absent tokens and IPSEC2 fields, and carries them when given', () => {
    const bare = createSecurityInfo({ protocol: 0, flags: 0 });
    expect('peerApplicationToken' in bare || 'peerMachineToken' in bare || 'mmSaId' in bare).toBe(false);
    const full = createSecurityInfo({
      protocol: 2,
      flags: 1,
      peerMachineToken: token().t,
      ipsec2: { mmSaId: 1n, qmSaId: 2n, negotiationError: 0, saLookupContext: 'a-guid' },
    });
    expect(full.protocol).toBe('ipsec2');
    expect(full.peerMachineToken?.kind).toBe('machine');
    expect(full.peerApplicationToken).toBeUndefined();
    expect([full.mmSaId, full.qmSaId, full.negotiationError, full.saLookupContext]).toEqual([
      1n,
      2n,
      0,
      'a-guid',
    ]);
  });

  it('close (and using) closes both tokens, idempotently', () => {
    const app = token('application');
    const machine = token('machine');
    const info = createSecurityInfo({
      protocol: 1,
      flags: 1,
      peerApplicationToken: app.t,
      peerMachineToken: machine.t,
    });
    info.close();
    info.close();
    expect([app.t.closed, machine.t.closed]).toEqual([true, true]);
    expect([...app.released, ...machine.released]).toEqual(['application', 'machine']);
    let held: PeerToken | undefined;
    {
      using scoped = createSecurityInfo({ protocol: 1, flags: 1, peerMachineToken: token().t });
      held = scoped.peerMachineToken;
    }
    expect(held?.closed).toBe(true);
  });
});
