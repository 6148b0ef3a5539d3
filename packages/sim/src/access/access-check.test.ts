import {
  ACCESS_SYSTEM_SECURITY,
  DELETE,
  FILE_ALL_ACCESS,
  FILE_EXECUTE,
  FILE_GENERIC_EXECUTE,
  FILE_GENERIC_READ,
  FILE_GENERIC_WRITE,
  FILE_READ_DATA,
  FILE_WRITE_DATA,
  GENERIC_ALL,
  GENERIC_EXECUTE,
  GENERIC_READ,
  GENERIC_WRITE,
  MAXIMUM_ALLOWED,
  READ_CONTROL,
  SYNCHRONIZE,
  WRITE_DAC,
  WRITE_OWNER,
} from '@wsasec/core';
import { describe, expect, it } from 'vitest';
import { evaluateAccess, mapGenericMask, parseSddl, type SecurityDescriptor } from './sddl.js';
import { DOMAIN, expectInvalid, thrown } from './sddl-test-helpers.js';

const EVERYONE = 'S-1-1-0';
const USERS = 'S-1-5-32-545';
const ADMINS = 'S-1-5-32-544';
const AUTHENTICATED = 'S-1-5-11';
const alice = `${DOMAIN}-1104`;
/** A domain user: alice, Domain Users, Everyone, Authenticated Users, BUILTIN\Users. */
const user = [alice, `${DOMAIN}-513`, EVERYONE, AUTHENTICATED, USERS];
const admin = [...user, ADMINS];

const check = (sddl: string, sids: readonly string[], desired: number) =>
  evaluateAccess(parseSddl(sddl, { domainSid: DOMAIN }), sids, desired);
const DENIED = { granted: false, grantedAccess: 0 };

describe('mapGenericMask', () => {
  it.each([
    [GENERIC_READ, FILE_GENERIC_READ],
    [GENERIC_WRITE, FILE_GENERIC_WRITE],
    [GENERIC_EXECUTE, FILE_GENERIC_EXECUTE],
    [GENERIC_ALL, FILE_ALL_ACCESS],
    [GENERIC_READ | GENERIC_WRITE, FILE_GENERIC_READ | FILE_GENERIC_WRITE],
    [GENERIC_READ | DELETE, FILE_GENERIC_READ | DELETE],
    [MAXIMUM_ALLOWED | GENERIC_EXECUTE, MAXIMUM_ALLOWED | FILE_GENERIC_EXECUTE],
    [FILE_READ_DATA, FILE_READ_DATA],
    [0xffff_ffff, 0x0fff_ffff],
  ])('maps 0x%s to its file rights', (mask, mapped) => {
    expect(mapGenericMask(mask)).toBe(mapped >>> 0);
  });
});

describe('evaluateAccess: NULL and empty DACLs', () => {
  it('a NULL DACL grants whatever is asked, and FILE_ALL_ACCESS for MAXIMUM_ALLOWED', () => {
    for (const sddl of ['O:BA', 'D:NO_ACCESS_CONTROL', 'G:SY']) {
      expect(check(sddl, [EVERYONE], FILE_WRITE_DATA)).toEqual({
        granted: true,
        grantedAccess: FILE_WRITE_DATA,
      });
      expect(check(sddl, [], GENERIC_READ)).toEqual({ granted: true, grantedAccess: FILE_GENERIC_READ });
      expect(check(sddl, [], MAXIMUM_ALLOWED)).toEqual({ granted: true, grantedAccess: FILE_ALL_ACCESS });
    }
  });

  it('an empty DACL denies everything to anyone but the owner', () => {
    expect(check('D:', admin, FILE_READ_DATA)).toEqual(DENIED);
    expect(check('D:', admin, MAXIMUM_ALLOWED)).toEqual(DENIED);
    expect(check('D:P', admin, GENERIC_ALL)).toEqual(DENIED);
    expect(check('O:SYD:', admin, READ_CONTROL)).toEqual(DENIED);
  });
});

describe('evaluateAccess: walking the DACL', () => {
  it('grants when allow ACEs together cover every requested bit', () => {
    const sddl = 'D:(A;;FR;;;AU)(A;;FW;;;BU)';
    expect(check(sddl, user, FILE_READ_DATA | FILE_WRITE_DATA)).toEqual({
      granted: true,
      grantedAccess: FILE_READ_DATA | FILE_WRITE_DATA,
    });
    expect(check(sddl, user, FILE_EXECUTE)).toEqual(DENIED);
    expect(check(sddl, [AUTHENTICATED], FILE_READ_DATA | FILE_WRITE_DATA)).toEqual(DENIED);
  });

  it('ignores ACEs whose SID the token lacks', () => {
    expect(check('D:(A;;FA;;;BA)', user, FILE_READ_DATA)).toEqual(DENIED);
    expect(check('D:(D;;FA;;;BA)(A;;FA;;;WD)', user, FILE_READ_DATA)).toEqual({
      granted: true,
      grantedAccess: FILE_READ_DATA,
    });
    expect(check('D:(A;;FA;;;DU)', user, DELETE)).toEqual({ granted: true, grantedAccess: DELETE });
    expect(check(`D:(A;;FA;;;${alice})`, user, DELETE)).toEqual({ granted: true, grantedAccess: DELETE });
  });

  it('canonical order: a deny ACE first refuses its bits whatever follows', () => {
    const sddl = 'D:(D;;FW;;;BU)(A;;FA;;;BU)';
    expect(check(sddl, user, FILE_READ_DATA)).toEqual({ granted: true, grantedAccess: FILE_READ_DATA });
    expect(check(sddl, user, FILE_WRITE_DATA)).toEqual(DENIED);
    expect(check(sddl, user, FILE_READ_DATA | FILE_WRITE_DATA)).toEqual(DENIED);
    // FILE_GENERIC_WRITE holds READ_CONTROL and SYNCHRONIZE, so the deny covers them too.
    expect(check(sddl, user, READ_CONTROL)).toEqual(DENIED);
    expect(check(sddl, user, GENERIC_EXECUTE)).toEqual(DENIED);
  });

  it('non-canonical order is evaluated as written: an allow ACE before a deny wins', () => {
    const sddl = 'D:(A;;FA;;;BU)(D;;FW;;;BU)';
    expect(check(sddl, user, FILE_WRITE_DATA)).toEqual({ granted: true, grantedAccess: FILE_WRITE_DATA });
    expect(check(sddl, user, GENERIC_WRITE)).toEqual({ granted: true, grantedAccess: FILE_GENERIC_WRITE });
  });

  it('a deny ACE refuses only when it holds a bit not granted yet', () => {
    const sddl = `D:(A;;0x${(READ_CONTROL | SYNCHRONIZE).toString(16)};;;WD)(D;;RC;;;WD)(A;;FR;;;WD)(D;;FA;;;WD)`;
    expect(check(sddl, user, FILE_GENERIC_READ)).toEqual({ granted: true, grantedAccess: FILE_GENERIC_READ });
    expect(check(sddl, user, FILE_GENERIC_READ | FILE_WRITE_DATA)).toEqual(DENIED);
    const partly = 'D:(A;;FR;;;BU)(D;;FW;;;BU)(A;;FW;;;BU)';
    expect(check(partly, user, FILE_READ_DATA | FILE_WRITE_DATA)).toEqual(DENIED);
    expect(check(partly, user, FILE_READ_DATA | READ_CONTROL)).toEqual({
      granted: true,
      grantedAccess: FILE_READ_DATA | READ_CONTROL,
    });
  });

  it('maps generic rights in the desired mask and in ACEs alike', () => {
    expect(check('D:(A;;GA;;;WD)', user, FILE_WRITE_DATA | DELETE)).toEqual({
      granted: true,
      grantedAccess: FILE_WRITE_DATA | DELETE,
    });
    expect(check('D:(A;;GR;;;WD)', user, FILE_READ_DATA)).toEqual({
      granted: true,
      grantedAccess: FILE_READ_DATA,
    });
    expect(check('D:(A;;GR;;;WD)', user, FILE_WRITE_DATA)).toEqual(DENIED);
    expect(check('D:(A;;FR;;;WD)', user, GENERIC_READ)).toEqual({
      granted: true,
      grantedAccess: FILE_GENERIC_READ,
    });
    expect(check('D:(A;;FR;;;WD)', user, (GENERIC_READ | GENERIC_WRITE) >>> 0)).toEqual(DENIED);
    expect(check('D:(D;;GW;;;WD)(A;;GA;;;WD)', user, FILE_WRITE_DATA)).toEqual(DENIED);
    expect(check('D:(A;;0x10000000;;;WD)', user, GENERIC_ALL)).toEqual({
      granted: true,
      grantedAccess: FILE_ALL_ACCESS,
    });
  });

  it('skips inherit-only ACEs and applies the other inheritance flags', () => {
    expect(check('D:(A;IO;FA;;;WD)', user, FILE_READ_DATA)).toEqual(DENIED);
    expect(check('D:(A;OICIIO;FA;;;WD)', user, MAXIMUM_ALLOWED)).toEqual(DENIED);
    expect(check('D:(D;OICIIO;FA;;;WD)(A;;FA;;;WD)', user, FILE_WRITE_DATA)).toEqual({
      granted: true,
      grantedAccess: FILE_WRITE_DATA,
    });
    for (const flags of ['OI', 'CI', 'OICI', 'NP', 'ID', 'SA', 'FA'])
      expect(check(`D:(A;${flags};FA;;;WD)`, user, FILE_READ_DATA).granted).toBe(true);
  });

  it('refuses ACCESS_SYSTEM_SECURITY: the token has no SeSecurityPrivilege', () => {
    expect(check('D:(A;;0xFFFFFFFF;;;WD)', user, ACCESS_SYSTEM_SECURITY)).toEqual(DENIED);
    expect(check('D:NO_ACCESS_CONTROL', user, ACCESS_SYSTEM_SECURITY | FILE_READ_DATA)).toEqual(DENIED);
    expect(check('D:(A;;0xFFFFFFFF;;;WD)', user, MAXIMUM_ALLOWED)).toEqual({
      granted: true,
      grantedAccess: 0x0fff_ffff & ~ACCESS_SYSTEM_SECURITY & ~MAXIMUM_ALLOWED,
    });
  });
});

describe('evaluateAccess: MAXIMUM_ALLOWED', () => {
  it('grants every bit whose first deciding ACE allows it', () => {
    const sddl = 'D:(A;;FR;;;WD)(D;;FW;;;WD)(A;;FA;;;WD)';
    const expected = FILE_GENERIC_READ | (FILE_ALL_ACCESS & ~FILE_GENERIC_WRITE);
    expect(check(sddl, user, MAXIMUM_ALLOWED)).toEqual({ granted: true, grantedAccess: expected });
    expect(check(sddl, user, MAXIMUM_ALLOWED | FILE_READ_DATA)).toEqual({
      granted: true,
      grantedAccess: expected,
    });
    expect(check(sddl, user, (MAXIMUM_ALLOWED | GENERIC_READ) >>> 0)).toEqual({
      granted: true,
      grantedAccess: expected,
    });
  });

  it('denies when another requested bit is missing, or nothing is granted', () => {
    const sddl = 'D:(A;;FR;;;WD)(D;;FW;;;WD)(A;;FA;;;WD)';
    expect(check(sddl, user, MAXIMUM_ALLOWED | FILE_WRITE_DATA)).toEqual(DENIED);
    expect(check('D:(A;;FA;;;BA)', user, MAXIMUM_ALLOWED)).toEqual(DENIED);
    expect(check('D:(D;;FA;;;WD)(A;;FA;;;WD)', admin, MAXIMUM_ALLOWED)).toEqual(DENIED);
  });

  it('collects rights across the groups of the token', () => {
    const sddl = 'D:(A;;FR;;;AU)(A;;SD;;;BU)(A;;WDWO;;;BA)';
    expect(check(sddl, user, MAXIMUM_ALLOWED).grantedAccess).toBe(FILE_GENERIC_READ | DELETE);
    expect(check(sddl, admin, MAXIMUM_ALLOWED).grantedAccess).toBe(
      FILE_GENERIC_READ | DELETE | WRITE_DAC | WRITE_OWNER,
    );
  });
});

describe('evaluateAccess: the owner', () => {
  it('the owner gets READ_CONTROL and WRITE_DAC implicitly, deny ACEs notwithstanding', () => {
    expect(check('O:BUD:', user, READ_CONTROL | WRITE_DAC)).toEqual({
      granted: true,
      grantedAccess: READ_CONTROL | WRITE_DAC,
    });
    expect(check('O:BUD:', user, FILE_READ_DATA)).toEqual(DENIED);
    expect(check('O:BUD:', user, MAXIMUM_ALLOWED)).toEqual({
      granted: true,
      grantedAccess: READ_CONTROL | WRITE_DAC,
    });
    expect(check('O:BUD:(D;;RCWD;;;BU)', user, WRITE_DAC)).toEqual({
      granted: true,
      grantedAccess: WRITE_DAC,
    });
    expect(check('O:BUD:(A;;FR;;;WD)', user, FILE_READ_DATA | WRITE_DAC)).toEqual({
      granted: true,
      grantedAccess: FILE_READ_DATA | WRITE_DAC,
    });
    expect(check('O:BAD:', user, READ_CONTROL)).toEqual(DENIED);
  });

  it('an OWNER RIGHTS ACE replaces the implicit rights and applies to the owner only', () => {
    const sddl = 'O:BUD:(A;;FR;;;OW)';
    expect(check(sddl, user, FILE_READ_DATA)).toEqual({ granted: true, grantedAccess: FILE_READ_DATA });
    expect(check(sddl, user, WRITE_DAC)).toEqual(DENIED);
    expect(check(sddl, user, MAXIMUM_ALLOWED)).toEqual({ granted: true, grantedAccess: FILE_GENERIC_READ });
    expect(check(sddl, [EVERYONE], FILE_READ_DATA)).toEqual(DENIED);
    expect(check('O:BUD:(D;;WD;;;OW)', user, WRITE_DAC)).toEqual(DENIED);
    expect(check('O:BUD:(A;IO;FR;;;OW)', user, WRITE_DAC).granted).toBe(true);
  });
});

describe('evaluateAccess: inputs', () => {
  const sd = parseSddl('D:(A;;GA;;;WD)', { domainSid: DOMAIN });

  it.each([0, -1, 1.5, 2 ** 32, Number.NaN, '1', null, undefined])('refuses desiredAccess %s', (desired) => {
    expectInvalid(
      () => evaluateAccess(sd, user, desired as never),
      /desiredAccess must be an integer access mask/,
    );
  });

  it('matches token SIDs whatever their spelling, and refuses what is not a SID', () => {
    expect(evaluateAccess(sd, ['S-1-0x000000000001-0'], FILE_READ_DATA).granted).toBe(true);
    for (const sids of [['WD'], [EVERYONE, 42], ['s-1-1-0']]) {
      const error = thrown(() => evaluateAccess(sd, sids as never, FILE_READ_DATA));
      expect(error.code).toBe('ERR_WSASEC_INVALID_ARGUMENT');
      expect(error.message).toMatch(/tokenSids must hold SID strings/);
    }
    const error = thrown(() => evaluateAccess(sd, 'S-1-1-0' as never, FILE_READ_DATA));
    expect(error.message).toMatch(/tokenSids must be an array/);
  });

  it('refuses what is not a security descriptor', () => {
    const ace = { type: 'allow', flags: [], mask: 1, sid: EVERYONE };
    const bad: [unknown, RegExp][] = [
      [null, /got null/],
      ['D:', /got string/],
      [{ daclFlags: [] }, /dacl is neither null nor an array/],
      [{ dacl: null }, /daclFlags is not an array/],
      [{ dacl: [null], daclFlags: [] }, /an ACE is not an object/],
      [{ dacl: [{ ...ace, type: 'audit' }], daclFlags: [] }, /ACE type/],
      [{ dacl: [{ ...ace, mask: -1 }], daclFlags: [] }, /ACE mask/],
      [{ dacl: [{ ...ace, flags: 'IO' }], daclFlags: [] }, /flag strings/],
      [{ dacl: [{ ...ace, sid: 1 }], daclFlags: [] }, /ACE SID/],
      [{ dacl: new Array(1001).fill(ace), daclFlags: [] }, /1001 ACEs; at most 1000/],
      [{ dacl: [], daclFlags: [], owner: 5 }, /owner is not a string/],
    ];
    for (const [value, message] of bad) {
      const error = thrown(() => evaluateAccess(value as SecurityDescriptor, user, FILE_READ_DATA));
      expect(error.code).toBe('ERR_WSASEC_INVALID_ARGUMENT');
      expect(error.syscall).toBe('AccessCheck');
      expect(error.message).toMatch(message);
    }
  });

  it('accepts a hand-built descriptor with non-canonical SIDs', () => {
    const built: SecurityDescriptor = {
      owner: 'S-1-0x000000000005-32-545',
      dacl: [{ type: 'allow', flags: [], mask: GENERIC_READ >>> 0, sid: 'S-1-0x000000000001-0' }],
      daclFlags: [],
    };
    expect(evaluateAccess(built, user, FILE_READ_DATA | WRITE_DAC)).toEqual({
      granted: true,
      grantedAccess: FILE_READ_DATA | WRITE_DAC,
    });
  });
});
