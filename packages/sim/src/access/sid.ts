/**
 * SID strings and the SDDL SID aliases (`sddl.h`) used by the sim's SDDL parser and access check.
 * @module
 */

import { SecureSocketError, type SecureSocketErrorCode } from '@wsasec/core';

/** Most subauthorities a SID may hold (`SID_MAX_SUB_AUTHORITIES`). */
export const SID_MAX_SUB_AUTHORITIES = 15;

const MAX_UINT32 = 0xffff_ffff;
const MAX_AUTHORITY = 0xffff_ffff_ffff; // SID_IDENTIFIER_AUTHORITY is 6 bytes

/** `OWNER RIGHTS` (S-1-3-4): ACEs for it apply to the object's owner instead of the implicit owner rights. */
export const OWNER_RIGHTS_SID = 'S-1-3-4';

/**
 * SDDL aliases of well-known SIDs that do not depend on a domain (`sddl.h`, `SDDL_*`).
 * `CO` and `CG` are absent on purpose: see {@link SDDL_CREATOR_ALIASES}.
 */
export const SDDL_SID_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  WD: 'S-1-1-0',
  OW: 'S-1-3-4',
  NU: 'S-1-5-2',
  IU: 'S-1-5-4',
  SU: 'S-1-5-6',
  AN: 'S-1-5-7',
  ED: 'S-1-5-9',
  PS: 'S-1-5-10',
  AU: 'S-1-5-11',
  RC: 'S-1-5-12',
  SY: 'S-1-5-18',
  LS: 'S-1-5-19',
  NS: 'S-1-5-20',
  WR: 'S-1-5-33',
  BA: 'S-1-5-32-544',
  BU: 'S-1-5-32-545',
  BG: 'S-1-5-32-546',
  PU: 'S-1-5-32-547',
  AO: 'S-1-5-32-548',
  SO: 'S-1-5-32-549',
  PO: 'S-1-5-32-550',
  BO: 'S-1-5-32-551',
  RE: 'S-1-5-32-552',
  RU: 'S-1-5-32-554',
  RD: 'S-1-5-32-555',
  NO: 'S-1-5-32-556',
  MU: 'S-1-5-32-558',
  LU: 'S-1-5-32-559',
  IS: 'S-1-5-32-568',
  CY: 'S-1-5-32-569',
  ER: 'S-1-5-32-573',
  CD: 'S-1-5-32-574',
  RA: 'S-1-5-32-575',
  ES: 'S-1-5-32-576',
  MS: 'S-1-5-32-577',
  HA: 'S-1-5-32-578',
  AA: 'S-1-5-32-579',
  RM: 'S-1-5-32-580',
  AC: 'S-1-15-2-1',
});

/** SDDL aliases relative to the domain SID (`<domain>-<rid>`), with their RIDs. */
export const SDDL_DOMAIN_ALIASES: Readonly<Record<string, number>> = Object.freeze({
  LA: 500,
  LG: 501,
  DA: 512,
  DU: 513,
  DG: 514,
  DC: 515,
  DD: 516,
  CA: 517,
  PA: 520,
  CN: 522,
  AP: 525,
  KA: 526,
  RS: 553,
});

/**
 * `CREATOR OWNER` and `CREATOR GROUP`: placeholders that inheritance replaces with the creator's SIDs.
 * No token ever holds them, so an access check could never match them; they are refused.
 */
export const SDDL_CREATOR_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  CO: 'S-1-3-0',
  CG: 'S-1-3-1',
});

/** Throws the `SecureSocketError` every malformed SDDL, SID or argument of this module raises. */
export function sddlFail(message: string, code: SecureSocketErrorCode = 'WSAEINVAL'): never {
  throw new SecureSocketError(code, message, { syscall: 'AccessCheck' });
}

/** A short, quoted excerpt of `text` for error messages (never the whole of a 64 KiB string). */
export function excerpt(text: string, max = 32): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

function decimal(text: string, max: number): number | undefined {
  if (text.length === 0 || text.length > 15) return undefined;
  if (text.length > 1 && text[0] === '0') return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const value = Number(text);
  return value <= max ? value : undefined;
}

function hexAuthority(text: string): number | undefined {
  const digits = text.slice(2);
  if (digits.length === 0 || digits.length > 12 || !/^[0-9A-Fa-f]+$/.test(digits)) return undefined;
  return Number.parseInt(digits, 16);
}

/**
 * Checks a SID string and returns its canonical spelling, or the reason it is not a SID.
 * Accepted: `S-1-<authority>(-<subauthority>){0,15}`, the authority in decimal up to 2^32-1 or as
 * `0x` and up to 12 hex digits, each subauthority in decimal from 0 to 4294967295, no leading zeros.
 */
export function checkSidString(value: string): { sid: string } | { problem: string } {
  if (isCanonicalDecimalSid(value)) return { sid: value };
  if (value.length > 200) return { problem: 'it is longer than any SID (at most 15 subauthorities)' };
  if (!value.startsWith('S-')) return { problem: 'a SID string starts with "S-1-" (upper-case S)' };
  const parts = value.split('-');
  if (parts[1] !== '1') return { problem: 'the revision (after "S-") must be 1' };
  if (parts.length < 3) return { problem: 'the identifier authority is missing (e.g. S-1-5-…)' };
  const authorityText = parts[2] ?? '';
  const authority =
    authorityText.startsWith('0x') || authorityText.startsWith('0X')
      ? hexAuthority(authorityText)
      : decimal(authorityText, MAX_UINT32);
  if (authority === undefined)
    return {
      problem: `the identifier authority ${excerpt(authorityText)} must be decimal (0–4294967295, no leading zeros) or 0x and up to 12 hex digits`,
    };
  const subs = parts.slice(3);
  if (subs.length > SID_MAX_SUB_AUTHORITIES)
    return { problem: `it has ${subs.length} subauthorities; a SID has at most ${SID_MAX_SUB_AUTHORITIES}` };
  const numbers: number[] = [];
  for (const sub of subs) {
    const n = decimal(sub, MAX_UINT32);
    if (n === undefined)
      return {
        problem: `the subauthority ${excerpt(sub)} must be a decimal number from 0 to 4294967295 without leading zeros`,
      };
    numbers.push(n);
  }
  return { sid: formatSid(authority, numbers) };
}

/**
 * True when `value` is already the canonical spelling of a SID with a decimal authority, checked in one
 * pass without allocating (the access check runs it on every ACE).
 */
export function isCanonicalDecimalSid(value: string): boolean {
  if (value.length > 200 || !value.startsWith('S-1-')) return false;
  let numbers = 0;
  let start = 4;
  for (let i = 4; i <= value.length; i++) {
    const c = i < value.length ? value.charCodeAt(i) : 45;
    if (c === 45) {
      const length = i - start;
      if (length === 0 || length > 10 || (length > 1 && value.charCodeAt(start) === 48)) return false;
      if (length === 10 && value.slice(start, i) > '4294967295') return false;
      numbers++;
      start = i + 1;
    } else if (c < 48 || c > 57) return false;
  }
  return numbers <= SID_MAX_SUB_AUTHORITIES + 1;
}

/**
 * True when `value` is a SID string that {@link checkSidString} accepts (what `ConvertStringSidToSidW`
 * accepts, minus non-canonical spellings such as leading zeros or a lower-case `s`).
 */
export function isValidSidString(value: unknown): value is string {
  return typeof value === 'string' && 'sid' in checkSidString(value);
}

/**
 * The canonical spelling of a SID string (hex authorities above 2^32-1 in upper case, as
 * `ConvertSidToStringSidW` writes them).
 * @throws SecureSocketError `WSAEINVAL` when `value` is not a SID string; the message says why.
 */
export function canonicalSid(value: string): string {
  if (typeof value !== 'string') sddlFail(`a SID must be a string such as "S-1-5-18", got ${typeof value}`);
  const checked = checkSidString(value);
  if ('problem' in checked) sddlFail(`${excerpt(value)} is not a SID string: ${checked.problem}`);
  return checked.sid;
}

/**
 * Mirrors `ConvertSidToStringSidW`: writes `S-1-<authority>-<sub>…`, the authority in decimal below
 * 2^32 and as `0x` with 12 upper-case hex digits above.
 * @throws SecureSocketError `WSAEINVAL` when the authority is not an integer from 0 to 2^48-1, a
 *   subauthority is not an integer from 0 to 4294967295, or there are more than 15 subauthorities.
 */
export function formatSid(authority: number, subAuthorities: readonly number[]): string {
  if (!Number.isInteger(authority) || authority < 0 || authority > MAX_AUTHORITY)
    sddlFail(`a SID authority must be an integer from 0 to 2^48-1, got ${String(authority)}`);
  if (!Array.isArray(subAuthorities) || subAuthorities.length > SID_MAX_SUB_AUTHORITIES)
    sddlFail(`a SID has an array of at most ${SID_MAX_SUB_AUTHORITIES} subauthorities`);
  for (const sub of subAuthorities)
    if (!Number.isInteger(sub) || sub < 0 || sub > MAX_UINT32)
      sddlFail(`a SID subauthority must be an integer from 0 to 4294967295, got ${String(sub)}`);
  const head =
    authority > MAX_UINT32
      ? `0x${authority.toString(16).toUpperCase().padStart(12, '0')}`
      : String(authority);
  return ['S', '1', head, ...subAuthorities.map(String)].join('-');
}

const ALIAS_LIST = [...Object.keys(SDDL_SID_ALIASES), ...Object.keys(SDDL_DOMAIN_ALIASES)].join(' ');

/**
 * Resolves the SID field of an SDDL string: an alias such as `BA` or a SID string. `domainSid` is
 * already canonical and leaves room for one more subauthority.
 * @throws SecureSocketError `WSAEINVAL` (unknown alias, `CO`/`CG`, malformed SID string).
 */
export function resolveSddlSid(text: string, domainSid: string, where: string): string {
  if (text.length === 0) sddlFail(`${where}: the SID is empty; write a SID (S-1-…) or an alias such as BA`);
  if (text.startsWith('S-')) {
    const checked = checkSidString(text);
    if ('problem' in checked) sddlFail(`${where}: ${excerpt(text)} is not a SID string: ${checked.problem}`);
    if (Object.values(SDDL_CREATOR_ALIASES).includes(checked.sid)) creatorFail(where, checked.sid);
    return checked.sid;
  }
  const fixed = Object.hasOwn(SDDL_SID_ALIASES, text) ? SDDL_SID_ALIASES[text] : undefined;
  if (fixed !== undefined) return fixed;
  const rid = Object.hasOwn(SDDL_DOMAIN_ALIASES, text) ? SDDL_DOMAIN_ALIASES[text] : undefined;
  if (rid !== undefined) return `${domainSid}-${rid}`;
  if (Object.hasOwn(SDDL_CREATOR_ALIASES, text)) creatorFail(where, text);
  return sddlFail(
    `${where}: unknown SID alias ${excerpt(text)}; write a SID string (S-1-…) or one of the upper-case aliases ${ALIAS_LIST}`,
  );
}

function creatorFail(where: string, what: string): never {
  sddlFail(
    `${where}: ${what} (CREATOR OWNER / CREATOR GROUP) is a placeholder that only inheritance replaces; no token holds it, so it is not accepted in an access check: name the owner's or group's SID instead`,
  );
}
