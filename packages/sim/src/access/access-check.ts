/**
 * The sim's `AccessCheck`: a DACL walked against the SIDs of a token, as Windows does it.
 * @module
 */

import {
  ACCESS_SYSTEM_SECURITY,
  DEFAULT_GENERIC_MAPPING,
  GENERIC_ALL,
  GENERIC_EXECUTE,
  GENERIC_READ,
  GENERIC_WRITE,
  MAXIMUM_ALLOWED,
  READ_CONTROL,
  WRITE_DAC,
} from '@wsasec/core';
import { checkSidString, OWNER_RIGHTS_SID, sddlFail } from './sid.js';

/** One access control entry of a DACL (`ACCESS_ALLOWED_ACE` / `ACCESS_DENIED_ACE`). */
export interface Ace {
  /** `A` (`ACCESS_ALLOWED_ACE_TYPE`) or `D` (`ACCESS_DENIED_ACE_TYPE`). */
  type: 'allow' | 'deny';
  /** ACE flags as their SDDL codes, in the order written (`CI`, `OI`, `NP`, `IO`, `ID`, `SA`, `FA`). */
  flags: string[];
  /** The access mask as written: generic rights are kept and mapped only when access is evaluated. */
  mask: number;
  /** The trustee, as a canonical SID string. */
  sid: string;
}

/** The parts of a security descriptor that an access check reads. */
export interface SecurityDescriptor {
  /** Owner SID (`O:`), canonical; absent when the SDDL has no `O:` part. */
  owner?: string;
  /** Primary group SID (`G:`), canonical; absent when the SDDL has no `G:` part. */
  group?: string;
  /** The DACL; `null` is a NULL DACL (no `D:` part, or `D:NO_ACCESS_CONTROL`): everyone gets full access. */
  dacl: Ace[] | null;
  /** DACL control flags as their SDDL codes (`P`, `AI`, `AR`), in the order written. */
  daclFlags: string[];
}

/** Result of {@link evaluateAccess}, as `AccessCheck` reports it. */
export interface AccessEvaluation {
  /** `AccessStatus`: true when every requested right was granted. */
  granted: boolean;
  /** `GrantedAccess`: the mapped rights granted; 0 whenever `granted` is false. */
  grantedAccess: number;
}

/** Most ACEs a DACL may hold here. */
export const SDDL_MAX_ACES = 1000;

const GENERIC_BITS = (GENERIC_ALL | GENERIC_EXECUTE | GENERIC_WRITE | GENERIC_READ) >>> 0;
const OWNER_IMPLICIT = READ_CONTROL | WRITE_DAC;

/**
 * Mirrors `MapGenericMask` with `DEFAULT_GENERIC_MAPPING`: each generic right set in `mask` adds its
 * file rights, and the generic bits are cleared.
 */
export function mapGenericMask(mask: number): number {
  let mapped = mask >>> 0;
  if (mapped & GENERIC_READ) mapped |= DEFAULT_GENERIC_MAPPING.genericRead;
  if (mapped & GENERIC_WRITE) mapped |= DEFAULT_GENERIC_MAPPING.genericWrite;
  if (mapped & GENERIC_EXECUTE) mapped |= DEFAULT_GENERIC_MAPPING.genericExecute;
  if (mapped & GENERIC_ALL) mapped |= DEFAULT_GENERIC_MAPPING.genericAll;
  return (mapped & ~GENERIC_BITS) >>> 0;
}

/**
 * Mirrors `AccessCheck` (with the desired mask passed through `MapGenericMask` first) for a token
 * that holds `tokenSids` and no privileges:
 * - every ACE mask is mapped with `DEFAULT_GENERIC_MAPPING` too, so `GA` in SDDL means file-all-access;
 * - ACEs are walked in the order given, inherit-only (`IO`) ones skipped: a matching deny ACE with any
 *   still-ungranted requested bit denies, allow ACEs grant their bits, access is granted once every
 *   requested bit is; a non-canonical order is evaluated as written, as Windows does;
 * - `MAXIMUM_ALLOWED` walks the whole DACL (first ACE to decide a bit wins) and grants what it found,
 *   denying when that is nothing or misses another requested bit;
 * - a NULL DACL grants everything asked (`MAXIMUM_ALLOWED` → `FILE_ALL_ACCESS`); an empty DACL grants
 *   nothing;
 * - a token holding the owner SID gets `READ_CONTROL | WRITE_DAC` implicitly, unless the DACL has an
 *   `OWNER RIGHTS` (S-1-3-4) ACE, which then applies to the owner instead;
 * - `ACCESS_SYSTEM_SECURITY` needs `SeSecurityPrivilege`, which these tokens lack: always denied.
 * When access is denied, `grantedAccess` is 0, as Windows sets it.
 * @throws SecureSocketError `WSAEINVAL` when `desiredAccess` is not an integer from 1 to 0xFFFFFFFF;
 *   `ERR_WSASEC_INVALID_ARGUMENT` when `sd` is not a security descriptor or `tokenSids` not an array
 *   of SID strings.
 */
export function evaluateAccess(
  sd: SecurityDescriptor,
  tokenSids: readonly string[],
  desiredAccess: number,
): AccessEvaluation {
  if (
    typeof desiredAccess !== 'number' ||
    !Number.isInteger(desiredAccess) ||
    desiredAccess < 1 ||
    desiredAccess > 0xffff_ffff
  ) {
    sddlFail(
      `desiredAccess must be an integer access mask from 1 to 0xFFFFFFFF, got ${String(desiredAccess)}`,
    );
  }
  const sids = tokenSidSet(tokenSids);
  const dacl = assertSecurityDescriptor(sd);

  const desired = mapGenericMask(desiredAccess);
  const wantsMaximum = (desired & MAXIMUM_ALLOWED) !== 0;
  const requested = (desired & ~MAXIMUM_ALLOWED) >>> 0;
  if (requested & ACCESS_SYSTEM_SECURITY) return denied();

  if (dacl === null) {
    const all = wantsMaximum ? (DEFAULT_GENERIC_MAPPING.genericAll | requested) >>> 0 : requested;
    return { granted: true, grantedAccess: all };
  }

  const isOwner = sd.owner !== undefined && sids.has(canonical(sd.owner));
  const active: { ace: Ace; sid: string }[] = [];
  for (const ace of dacl) if (!ace.flags.includes('IO')) active.push({ ace, sid: canonical(ace.sid) });
  const ownerRightsAce = active.some((entry) => entry.sid === OWNER_RIGHTS_SID);
  const matches = (sid: string) => sids.has(sid) || (isOwner && sid === OWNER_RIGHTS_SID);
  const implicit = isOwner && !ownerRightsAce ? OWNER_IMPLICIT : 0;

  if (wantsMaximum) {
    let granted = implicit;
    let refused = 0;
    for (const { ace, sid } of active) {
      if (!matches(sid)) continue;
      const mask = aceRights(ace.mask);
      if (ace.type === 'deny') refused = (refused | (mask & ~granted)) >>> 0;
      else granted = (granted | (mask & ~refused)) >>> 0;
    }
    if (granted === 0 || (requested & ~granted) !== 0) return denied();
    return { granted: true, grantedAccess: granted >>> 0 };
  }

  let remaining = (requested & ~implicit) >>> 0;
  if (remaining === 0) return { granted: true, grantedAccess: requested };
  for (const { ace, sid } of active) {
    if (!matches(sid)) continue;
    const mask = aceRights(ace.mask);
    if (ace.type === 'deny') {
      if ((mask & remaining) !== 0) return denied();
    } else {
      remaining = (remaining & ~mask) >>> 0;
      if (remaining === 0) return { granted: true, grantedAccess: requested };
    }
  }
  return denied();
}

function denied(): AccessEvaluation {
  return { granted: false, grantedAccess: 0 };
}

// MAXIMUM_ALLOWED and ACCESS_SYSTEM_SECURITY are requests, not rights a DACL can hand out.
function aceRights(mask: number): number {
  return (mapGenericMask(mask) & ~(MAXIMUM_ALLOWED | ACCESS_SYSTEM_SECURITY)) >>> 0;
}

// parseSddl already writes canonical SIDs; a hand-built descriptor may not.
function canonical(sid: string): string {
  const checked = checkSidString(sid);
  return 'sid' in checked ? checked.sid : sid;
}

function tokenSidSet(tokenSids: readonly string[]): Set<string> {
  if (!Array.isArray(tokenSids))
    sddlFail('tokenSids must be an array of SID strings (S-1-…)', 'ERR_WSASEC_INVALID_ARGUMENT');
  const set = new Set<string>();
  for (const sid of tokenSids) {
    const checked = typeof sid === 'string' ? checkSidString(sid) : { problem: `it is a ${typeof sid}` };
    if ('problem' in checked)
      sddlFail(
        `tokenSids must hold SID strings (S-1-…); one is not: ${checked.problem}`,
        'ERR_WSASEC_INVALID_ARGUMENT',
      );
    set.add(checked.sid);
  }
  return set;
}

/**
 * Checks that `sd` has the shape {@link SecurityDescriptor} describes and returns its DACL.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` naming the first field that is wrong.
 */
export function assertSecurityDescriptor(sd: SecurityDescriptor): Ace[] | null {
  const bad = (why: string): never =>
    sddlFail(
      `sd must be a SecurityDescriptor from parseSddl ({ owner?, group?, dacl: Ace[] | null, daclFlags }): ${why}`,
      'ERR_WSASEC_INVALID_ARGUMENT',
    );
  if (typeof sd !== 'object' || sd === null) return bad(`got ${sd === null ? 'null' : typeof sd}`);
  if (sd.owner !== undefined && typeof sd.owner !== 'string') bad('owner is not a string');
  if (sd.group !== undefined && typeof sd.group !== 'string') bad('group is not a string');
  if (!Array.isArray(sd.daclFlags) || !sd.daclFlags.every((f) => typeof f === 'string'))
    bad('daclFlags is not an array of strings');
  const { dacl } = sd;
  if (dacl === null) return null;
  if (!Array.isArray(dacl)) return bad('dacl is neither null nor an array');
  if (dacl.length > SDDL_MAX_ACES) bad(`dacl has ${dacl.length} ACEs; at most ${SDDL_MAX_ACES} are accepted`);
  for (const ace of dacl) {
    if (typeof ace !== 'object' || ace === null) bad('an ACE is not an object');
    if (ace.type !== 'allow' && ace.type !== 'deny') bad('an ACE type is neither "allow" nor "deny"');
    if (!Array.isArray(ace.flags) || !ace.flags.every((f) => typeof f === 'string'))
      bad('an ACE has no array of flag strings');
    if (typeof ace.mask !== 'number' || !Number.isInteger(ace.mask) || ace.mask < 0 || ace.mask > 0xffff_ffff)
      bad('an ACE mask is not an integer from 0 to 0xFFFFFFFF');
    if (typeof ace.sid !== 'string') bad('an ACE SID is not a string');
  }
  return dacl;
}
