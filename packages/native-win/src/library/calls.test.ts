import type { SecureSocketErrorCode } from '@wsasec/core';
import { normalizeQuery, normalizeSecuritySettings, SecureSocketError, WSA_ERRORS } from '@wsasec/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeLibrary, WSAEFAULT, WSAEMSGSIZE } from '../../test/support/fake-library.js';
import {
  deleteSocketPeerTargetName,
  impersonateSocketPeer,
  querySocketSecurity,
  revertImpersonation,
  setSocketPeerTargetName,
  setSocketSecurity,
} from './calls.js';

let lib: FakeLibrary;
let s: number;

beforeEach(() => {
  lib = new FakeLibrary();
  s = lib.WSASocketW(2, 1, 6, null, 0, 0x81);
});
afterEach(() => {
  lib.closesocket(s);
  expect(lib.violations).toEqual([]);
});

describe('WSAQuerySocketSecurity size negotiation', () => {
  for (const [name, probeError] of [
    ['WSAEMSGSIZE (reference page, NtApiDotNet)', WSAEMSGSIZE],
    ['WSAEFAULT (Microsoft sample)', WSAEFAULT],
  ] as const) {
    it(`treats ${name} with a larger length as "here is the size"`, () => {
      lib.query.probeError = probeError;
      const info = querySocketSecurity(lib, s, normalizeQuery(undefined, 0));
      expect(info).toEqual({ protocol: 0, flags: 3, applicationToken: 0n, machineToken: 0n });
      const calls = lib.callsOf('WSAQuerySocketSecurity');
      expect(calls.map((c) => c.value)).toEqual([
        { infoNull: true, infoLen: 0 },
        { infoNull: false, infoLen: 24 },
      ]);
      expect(calls[0]?.bytes).toBeNull();
    });
  }

  it('asks for 64 bytes with an IPSEC2 template and reads the IPSEC2 fields', () => {
    const info = querySocketSecurity(lib, s, normalizeQuery({ ipsec2: { fieldMask: 3 } }, 0));
    expect(lib.callsOf('WSAQuerySocketSecurity').map((c) => c.value)).toEqual([
      { infoNull: true, infoLen: 0 },
      { infoNull: false, infoLen: 64 },
    ]);
    expect(info.ipsec2?.mmSaId).toBe(0x1122334455667788n);
  });

  it('reads 64 bytes when the system returns them for a v1 template (never assumes 24)', () => {
    lib.query.alwaysIpsec2 = true;
    expect(querySocketSecurity(lib, s, normalizeQuery(undefined, 0)).ipsec2?.qmSaId).toBe(42n);
  });

  it('does not take a size error without a larger size as a size answer', () => {
    lib.fail('WSAQuerySocketSecurity', WSAEFAULT);
    expect(() => querySocketSecurity(lib, s, normalizeQuery(undefined, 0))).toThrow(
      expect.objectContaining({ code: 'WSAEFAULT', errno: 10014, syscall: 'WSAQuerySocketSecurity' }),
    );
    expect(lib.callsOf('WSAQuerySocketSecurity')).toHaveLength(1);
  });

  it('refuses an absurd size', () => {
    const big = new FakeLibrary();
    const sock = big.WSASocketW(2, 1, 6, null, 0, 0);
    big.WSAQuerySocketSecurity = (_s, _t, _tl, _i, len) => {
      len[0] = 1 << 20;
      return -1;
    };
    big.GetLastError = () => WSAEMSGSIZE;
    big.WSAGetLastError = () => WSAEMSGSIZE;
    expect(() => querySocketSecurity(big, sock, normalizeQuery(undefined, 0))).toThrow(/at most 4096/);
    big.closesocket(sock);
  });
});

// Spec §2: the documented error codes of each function.
const DOCUMENTED: Record<string, SecureSocketErrorCode[]> = {
  WSASetSocketSecurity: ['WSAEAFNOSUPPORT', 'WSAEINVAL', 'WSAEISCONN', 'WSAEMSGSIZE', 'WSAENOTSOCK'],
  WSASetSocketPeerTargetName: [
    'WSAEAFNOSUPPORT',
    'WSAEFAULT',
    'WSAEINVAL',
    'WSAEISCONN',
    'WSAEMSGSIZE',
    'WSAENOTSOCK',
  ],
  WSADeleteSocketPeerTargetName: ['WSAEAFNOSUPPORT', 'WSAEFAULT', 'WSAEINVAL', 'WSAEMSGSIZE', 'WSAENOTSOCK'],
  WSAQuerySocketSecurity: [
    'WSAEAFNOSUPPORT',
    'WSAECONNRESET',
    'WSAEFAULT',
    'WSAEINVAL',
    'WSAEMSGSIZE',
    'WSAENOTSOCK',
  ],
  WSAImpersonateSocketPeer: ['WSAEAFNOSUPPORT', 'WSAEFAULT', 'WSAEMSGSIZE', 'WSAENOTSOCK'],
  WSARevertImpersonation: ['WSASYSCALLFAILURE'],
};

const CALL: Record<string, () => unknown> = {
  WSASetSocketSecurity: () =>
    setSocketSecurity(lib, s, normalizeSecuritySettings({ guaranteeEncryption: true })),
  WSASetSocketPeerTargetName: () => setSocketPeerTargetName(lib, s, { name: 'host/x', protocol: 0 }, 'auto'),
  WSADeleteSocketPeerTargetName: () =>
    deleteSocketPeerTargetName(lib, s, { address: '127.0.0.1', port: 1, family: 'ipv4' }),
  WSAQuerySocketSecurity: () => querySocketSecurity(lib, s, normalizeQuery({ tokenAccess: 8 }, 0)),
  WSAImpersonateSocketPeer: () => impersonateSocketPeer(lib, s, undefined),
  WSARevertImpersonation: () => revertImpersonation(lib),
};

describe('error mapping: every documented code of every function', () => {
  for (const [fn, codes] of Object.entries(DOCUMENTED)) {
    for (const code of codes) {
      it(`${fn} failing with ${code} → SecureSocketError { code, errno, syscall }`, () => {
        const errno = WSA_ERRORS[code as keyof typeof WSA_ERRORS];
        lib.fail(fn, errno);
        let thrown: unknown;
        try {
          CALL[fn]?.();
        } catch (error) {
          thrown = error;
        }
        expect(SecureSocketError.isInstance(thrown)).toBe(true);
        expect(thrown).toMatchObject({ code, errno, syscall: fn });
        expect((thrown as Error).message).toContain(`${fn} failed with ${code} (${errno})`);
        expect(lib.leaks).toEqual({ handles: 0, pointers: 0 });
      });
    }
  }

  it('keeps an unknown Windows error number in errno', () => {
    lib.fail('WSASetSocketSecurity', 13801);
    expect(() => CALL.WSASetSocketSecurity?.()).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_INTERNAL', errno: 13801, syscall: 'WSASetSocketSecurity' }),
    );
  });
});

describe('WSASetSocketSecurity', () => {
  it('passes NULL and 0 for default settings, and zeroes a password buffer after the call', () => {
    setSocketSecurity(lib, s, normalizeSecuritySettings(undefined));
    const call = lib.callsOf('WSASetSocketSecurity')[0];
    expect(call?.bytes).toBeNull();
    expect(call?.len).toBe(0);
    const other = lib.WSASocketW(2, 1, 6, null, 0, 0);
    let seen: Uint8Array | undefined;
    const original = lib.WSASetSocketSecurity.bind(lib);
    lib.WSASetSocketSecurity = (sock: number, buf: Uint8Array | null, len: number) => {
      seen = buf ?? undefined;
      return original(sock, buf, len);
    };
    setSocketSecurity(
      lib,
      other,
      normalizeSecuritySettings({ ipsec: { credentials: { user: 'u', password: 'secret' } } }),
    );
    expect(Buffer.from(lib.callsOf('WSASetSocketSecurity')[1]?.bytes ?? []).toString('utf16le')).toContain(
      'secret',
    );
    expect(seen?.every((b) => b === 0)).toBe(true);
    lib.closesocket(other);
  });
});
