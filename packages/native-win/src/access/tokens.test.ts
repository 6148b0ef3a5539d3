import { normalizeQuery, TOKEN_IMPERSONATE, TOKEN_QUERY } from '@wsasec/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeLibrary } from '../../test/support/fake-library.js';
import { IDENTITIES } from '../../test/support/fake-tokens.js';
import { type NativeContext, querySecurityInfo } from '../socket/socket-ops.js';
import { ACCOUNT_NAME_FAILURE_TTL_MS, decodeToken, TokenHandleTracker } from './tokens.js';

declare const gc: (() => void) | undefined;

let lib: FakeLibrary;
let ctx: NativeContext;
let s: number;

beforeEach(() => {
  lib = new FakeLibrary();
  ctx = {
    lib,
    unit: 'auto',
    tokens: new TokenHandleTracker(),
    maxQueryInfoSize: 4096,
    verifyConnections: true,
    live: new Set(),
  };
  s = lib.WSASocketW(2, 1, 6, null, 0, 0);
});
afterEach(() => {
  lib.closesocket(s);
  expect(lib.violations).toEqual([]);
});

describe('token decoding', () => {
  it('reads the user (SID, name, domain) and the enabled group SIDs through pointers into the buffer', () => {
    const out: [number] = [0];
    lib.processIdentity = IDENTITIES.alice;
    lib.OpenProcessToken(-1, TOKEN_QUERY, out);
    const alice = decodeToken(lib, out[0]);
    lib.CloseHandle(out[0]);
    expect(alice.user).toEqual({ sid: IDENTITIES.alice.sid, name: 'alice', domain: 'CONTOSO' });
    // The deny-only Administrators group is not a membership.
    expect(alice.groups).toEqual([
      { sid: `${IDENTITIES.alice.sid.replace(/-1104$/, '-513')}` },
      { sid: 'S-1-5-11' },
    ]);
    expect(lib.leaks).toEqual({ handles: 0, pointers: 0 });
  });

  it('leaves name and domain out when the SID maps to no account', () => {
    lib.processIdentity = { sid: 'S-1-5-21-9-9-9-9', name: 'ghost', domain: 'X', groups: [] };
    const out: [number] = [0];
    lib.OpenProcessToken(-1, TOKEN_QUERY, out);
    expect(decodeToken(lib, out[0]).user).toEqual({ sid: 'S-1-5-21-9-9-9-9' });
    lib.CloseHandle(out[0]);
  });
});

describe('peer tokens from WSAQuerySocketSecurity', () => {
  it('returns no tokens without a token mask', () => {
    const info = querySecurityInfo(ctx, s, normalizeQuery(undefined, 0));
    expect(info.peerApplicationToken).toBeUndefined();
    expect(info.peerMachineToken).toBeUndefined();
    expect(lib.leaks.handles).toBe(0);
  });

  it('decodes both tokens, adds TOKEN_QUERY to the mask, and closes both handles on close()', () => {
    const info = querySecurityInfo(ctx, s, normalizeQuery({ tokenAccess: TOKEN_IMPERSONATE }, 0));
    const template = lib.callsOf('WSAQuerySocketSecurity')[0]?.bytes as Buffer;
    expect(template.readUInt32LE(136)).toBe(TOKEN_IMPERSONATE | TOKEN_QUERY);
    expect(info.peerApplicationToken?.user).toEqual({
      sid: IDENTITIES.alice.sid,
      name: 'alice',
      domain: 'CONTOSO',
    });
    expect(info.peerMachineToken?.user.name).toBe('CLIENT$');
    expect(info.peerApplicationToken?.kind).toBe('application');
    expect(info.peerApplicationToken?.access).toBe(TOKEN_IMPERSONATE | TOKEN_QUERY);
    expect(ctx.tokens.open).toBe(2);
    expect(lib.leaks.handles).toBe(2);
    info.close();
    info.close();
    expect(info.peerApplicationToken?.closed).toBe(true);
    expect(ctx.tokens.open).toBe(0);
    expect(lib.leaks).toEqual({ handles: 0, pointers: 0 });
    expect(lib.callsOf('CloseHandle')).toHaveLength(2);
  });

  it('closes the tokens at the end of a `using` scope', () => {
    {
      using info = querySecurityInfo(ctx, s, normalizeQuery({ tokenAccess: TOKEN_QUERY }, 0));
      expect(info.peerMachineToken?.closed).toBe(false);
    }
    expect(lib.leaks.handles).toBe(0);
  });

  it('closes both handles when decoding one fails, and nothing leaks', () => {
    lib.fail('GetTokenInformation', 5, 3);
    expect(() => querySecurityInfo(ctx, s, normalizeQuery({ tokenAccess: TOKEN_QUERY }, 0))).toThrow(
      expect.objectContaining({ code: 'WSAEACCES', errno: 5, syscall: 'GetTokenInformation' }),
    );
    expect(lib.leaks).toEqual({ handles: 0, pointers: 0 });
    expect(ctx.tokens.open).toBe(0);
  });

  it('closes a token whose SecurityInfo was dropped without close() (FinalizationRegistry)', async () => {
    expect(typeof gc).toBe('function');
    (() => {
      querySecurityInfo(ctx, s, normalizeQuery({ tokenAccess: TOKEN_QUERY }, 0));
    })();
    expect(lib.leaks.handles).toBe(2);
    for (let i = 0; i < 20 && lib.leaks.handles > 0; i++) {
      gc?.();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(lib.leaks.handles).toBe(0);
    expect(ctx.tokens.open).toBe(0);
  });
});

// Readiness review F1: LookupAccountSidW can wait on a domain controller on the event-loop thread.
describe('account name cache', () => {
  const decodeAlice = () => {
    const out: [number] = [0];
    lib.processIdentity = IDENTITIES.alice;
    lib.OpenProcessToken(-1, TOKEN_QUERY, out);
    try {
      return decodeToken(lib, out[0]);
    } finally {
      lib.CloseHandle(out[0]);
    }
  };

  it('looks a SID up once and reuses the name', () => {
    expect(decodeAlice().user.name).toBe('alice');
    expect(decodeAlice().user).toEqual({ sid: IDENTITIES.alice.sid, name: 'alice', domain: 'CONTOSO' });
    expect(lib.lookups.filter((sid) => sid === IDENTITIES.alice.sid)).toHaveLength(1);
  });

  it('does not retry a failed lookup (unreachable DC) until the failure time is over', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      lib.fail('LookupAccountSidW', 1722); // RPC_S_SERVER_UNAVAILABLE
      expect(decodeAlice().user).toEqual({ sid: IDENTITIES.alice.sid });
      expect(decodeAlice().user).toEqual({ sid: IDENTITIES.alice.sid });
      expect(lib.lookups).toHaveLength(1);
      vi.setSystemTime(1_000_000 + ACCOUNT_NAME_FAILURE_TTL_MS + 1);
      expect(decodeAlice().user.name).toBe('alice');
      expect(lib.lookups).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
