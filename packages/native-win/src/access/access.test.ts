import {
  FILE_GENERIC_READ,
  FILE_READ_DATA,
  GENERIC_READ,
  GENERIC_WRITE,
  SecureSocketError,
  TOKEN_DUPLICATE,
  TOKEN_QUERY,
} from '@wsasec/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeLibrary } from '../../test/support/fake-library.js';
import { IDENTITIES } from '../../test/support/fake-tokens.js';
import {
  accessCheck,
  completeSddl,
  currentIdentity,
  impersonateWithToken,
  mapGenericMask,
} from './access.js';

let lib: FakeLibrary;
let token: number;

beforeEach(() => {
  lib = new FakeLibrary();
  lib.processIdentity = IDENTITIES.alice;
  const out: [number] = [0];
  lib.OpenProcessToken(-1, TOKEN_QUERY | TOKEN_DUPLICATE | 0x4, out);
  token = out[0];
  lib.processIdentity = IDENTITIES.service;
});
afterEach(() => {
  lib.CloseHandle(token);
  expect(lib.violations).toEqual([]);
  expect(lib.leaks).toEqual({ handles: 0, pointers: 0 });
});

describe('accessCheck', () => {
  it('grants what an allow ACE for a group of the token gives', () => {
    expect(accessCheck(lib, token, 'D:(A;;GR;;;AU)', GENERIC_READ)).toEqual({
      granted: true,
      grantedAccess: FILE_GENERIC_READ,
    });
    expect(accessCheck(lib, token, 'D:(A;;GR;;;AU)', FILE_READ_DATA)).toEqual({
      granted: true,
      grantedAccess: FILE_READ_DATA,
    });
  });

  it('denies what is not granted, and what a deny ACE takes away', () => {
    expect(accessCheck(lib, token, 'D:(A;;GR;;;AU)', GENERIC_WRITE)).toEqual({
      granted: false,
      grantedAccess: 0,
    });
    expect(
      accessCheck(lib, token, `D:(D;;GA;;;${IDENTITIES.alice.sid})(A;;GA;;;WD)`, GENERIC_READ).granted,
    ).toBe(false);
  });

  it('gives AccessCheck an owner and group (SY) when the SDDL has none, and maps generic rights first', () => {
    accessCheck(lib, token, 'D:(A;;GA;;;WD)', GENERIC_READ);
    expect(lib.callsOf('ConvertStringSecurityDescriptorToSecurityDescriptorW')[0]?.value).toBe(
      'O:SYG:SYD:(A;;GA;;;WD)',
    );
    expect(lib.callsOf('AccessCheck')[0]?.value).toEqual({ desired: FILE_GENERIC_READ });
  });

  it('refuses a malformed SDDL with WSAEINVAL and frees nothing it did not get', () => {
    let thrown: unknown;
    try {
      accessCheck(lib, token, 'D:(X;;;', GENERIC_READ);
    } catch (error) {
      thrown = error;
    }
    expect(SecureSocketError.isInstance(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'WSAEINVAL', errno: 10022 });
    expect((thrown as Error).message).toMatch(/malformed \(Windows error 1336\).*D:\(A;;GA;;;AU\)/);
  });

  it('closes the duplicate token and frees the security descriptor', () => {
    accessCheck(lib, token, 'D:(A;;GA;;;WD)', GENERIC_READ);
    expect(lib.callsOf('CloseHandle')).toHaveLength(1);
  });
});

describe('completeSddl and mapGenericMask', () => {
  it('keeps owner and group when present and fills only what is missing', () => {
    expect(completeSddl('O:BAG:BAD:(A;;GA;;;WD)')).toBe('O:BAG:BAD:(A;;GA;;;WD)');
    expect(completeSddl('O:BAD:(A;;GA;;;WD)')).toBe('O:BAG:SYD:(A;;GA;;;WD)');
    expect(completeSddl('G:BAD:(A;;GA;;;WD)S:(AU;SA;GA;;;WD)')).toBe(
      'O:SYG:BAD:(A;;GA;;;WD)S:(AU;SA;GA;;;WD)',
    );
    expect(completeSddl('garbage')).toBe('garbage');
  });

  it('maps generic rights with the file mapping', () => {
    expect(mapGenericMask(GENERIC_READ | 0x1)).toBe(FILE_GENERIC_READ);
    expect(mapGenericMask(0x10000000)).toBe(0x001f01ff);
  });
});

describe('identity and impersonation', () => {
  it('currentIdentity is the process user outside impersonation and the peer inside', () => {
    expect(currentIdentity(lib)).toEqual({ sid: IDENTITIES.service.sid, name: 'svc', domain: 'CONTOSO' });
    const inside = impersonateWithToken(lib, token, () => currentIdentity(lib));
    expect(inside.name).toBe('alice');
    expect(lib.threadIdentity).toBeUndefined();
    expect(currentIdentity(lib).name).toBe('svc');
  });

  it('reverts when fn throws, and refuses a promise after reverting', () => {
    expect(() =>
      impersonateWithToken(lib, token, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(lib.threadIdentity).toBeUndefined();
    expect(() => impersonateWithToken(lib, token, async () => 1)).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_ASYNC_IMPERSONATION' }),
    );
    expect(lib.threadIdentity).toBeUndefined();
    expect(lib.callsOf('RevertToSelf')).toHaveLength(2);
  });

  it('reports a failing RevertToSelf loudly', () => {
    lib.RevertToSelf = () => 0;
    expect(() => impersonateWithToken(lib, token, () => 1)).toThrow(
      expect.objectContaining({ code: 'WSASYSCALLFAILURE', syscall: 'RevertToSelf' }),
    );
  });
});
