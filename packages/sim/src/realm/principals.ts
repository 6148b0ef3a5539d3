/**
 * Security identifiers and account names of the sim's realm: the well-known SIDs every token
 * carries, the domain-relative RIDs of the built-in groups, and the validation of names.
 * @module
 */
import { randomInt } from 'node:crypto';
import type { Principal } from '@wsasec/core';
import { SecureSocketError } from '@wsasec/core';

/** `Everyone` (`S-1-1-0`). */
export const EVERYONE: Principal = Object.freeze({ sid: 'S-1-1-0', name: 'Everyone', domain: '' });
/** `NT AUTHORITY\Authenticated Users` (`S-1-5-11`). */
export const AUTHENTICATED_USERS: Principal = Object.freeze({
  sid: 'S-1-5-11',
  name: 'Authenticated Users',
  domain: 'NT AUTHORITY',
});
/** `NT AUTHORITY\NETWORK` (`S-1-5-2`): every token of a network logon carries it. */
export const NETWORK: Principal = Object.freeze({ sid: 'S-1-5-2', name: 'NETWORK', domain: 'NT AUTHORITY' });
/** `NT AUTHORITY\ANONYMOUS LOGON` (`S-1-5-7`): who an unauthenticated (clear-text) peer is. */
export const ANONYMOUS_LOGON: Principal = Object.freeze({
  sid: 'S-1-5-7',
  name: 'ANONYMOUS LOGON',
  domain: 'NT AUTHORITY',
});

/** Relative ids of the domain's built-in groups (as in Active Directory). */
export const WELL_KNOWN_RIDS = {
  'Domain Admins': 512,
  'Domain Users': 513,
  'Domain Guests': 514,
  'Domain Computers': 515,
} as const;

/** First RID given to accounts and groups created in a realm (as Active Directory does). */
export const FIRST_ACCOUNT_RID = 1000;

const DOMAIN_SID_RE = /^S-1-5-21-(\d{1,10})-(\d{1,10})-(\d{1,10})$/;

/** A fresh random domain SID `S-1-5-21-a-b-c`. */
export function randomDomainSid(): string {
  const part = () => randomInt(1, 0x7fff_ffff);
  return `S-1-5-21-${part()}-${part()}-${part()}`;
}

/** Throws `ERR_WSASEC_INVALID_ARGUMENT` with `message`. */
export function invalid(message: string): never {
  throw new SecureSocketError('ERR_WSASEC_INVALID_ARGUMENT', message);
}

/** Checks a domain SID (`S-1-5-21-a-b-c`, each part a 32-bit number). */
export function checkDomainSid(value: unknown): string {
  const match = typeof value === 'string' ? DOMAIN_SID_RE.exec(value) : null;
  if (!match || match.slice(1).some((p) => Number(p) > 0xffff_ffff)) {
    invalid(`domainSid must look like S-1-5-21-<n>-<n>-<n> with 32-bit numbers, got ${show(value)}`);
  }
  return value as string;
}

/** Checks a NetBIOS domain name: 1–15 letters, digits, `-` or `_`, starting with a letter. */
export function checkNetbiosDomain(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,14}$/.test(value)) {
    invalid(
      `domain must be a NetBIOS name of 1–15 letters, digits, '-' or '_' starting with a letter, e.g. 'CONTOSO', got ${show(value)}`,
    );
  }
  return value.toUpperCase();
}

/** Checks a DNS name (`contoso.com`): labels of 1–63 letters, digits and `-`, at most 253 characters. */
export function checkDnsName(value: unknown, field: string): string {
  const ok =
    typeof value === 'string' &&
    value.length <= 253 &&
    value.split('.').every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
  if (!ok) {
    invalid(
      `${field} must be a DNS name like 'contoso.com' (letters, digits, '-', dots), got ${show(value)}`,
    );
  }
  return (value as string).toLowerCase();
}

/** Checks a machine's FQDN; its first label (at most 15 characters) becomes the NetBIOS name. */
export function checkMachineName(value: unknown): { fqdn: string; netbios: string } {
  const fqdn = checkDnsName(value, 'machine name');
  const first = fqdn.split('.')[0] as string;
  if (first.length > 15 || !/^[a-z]/.test(first)) {
    invalid(
      `machine name ${show(value)}: the first label is the computer's NetBIOS name and must be 1–15 characters starting with a letter`,
    );
  }
  return { fqdn, netbios: first.toUpperCase() };
}

const ACCOUNT_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,19}$/;

/** Checks a user or group account name (1–20 characters, no `\ / [ ] : ; | = , + * ? < > @ "`). */
export function checkAccountName(value: unknown, what: 'user' | 'group'): string {
  const limit = what === 'group' ? 64 : 20;
  const ok =
    typeof value === 'string' &&
    value.length <= limit &&
    (what === 'group' ? /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/.test(value) : ACCOUNT_RE.test(value)) &&
    value.trim() === value;
  if (!ok) {
    invalid(
      `${what} name must be 1–${limit} letters, digits, spaces, '.', '_' or '-' (starting with a letter or digit), got ${show(value)}`,
    );
  }
  return value as string;
}

/** A short, safe description of a value for error messages. */
export function show(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 60 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** True when `a` and `b` are equal ignoring ASCII case (Windows account names are case-insensitive). */
export function sameName(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}
