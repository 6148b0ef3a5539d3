/**
 * The accounts of the in-memory test backend: one domain, its users and machines, each with a
 * stable SID and the group SIDs a Windows token of that kind carries. A test double, not a model
 * of Active Directory.
 * @module
 */
import type { Principal } from '../index.js';

/** A principal of the memory realm, with the group SIDs its token carries. */
export interface MemoryPrincipal {
  readonly sid: string;
  readonly name: string;
  readonly domain: string;
  readonly kind: 'user' | 'machine';
  readonly groups: readonly Principal[];
}

/** Options of {@link createMemoryRealm}. */
export interface MemoryRealmOptions {
  /** NetBIOS domain name (default `CONTOSO`). */
  domain?: string;
  /** Domain SID (default `S-1-5-21-1004336348-1177238915-682003330`). */
  domainSid?: string;
  /** Passwords of the users that explicit credentials may name. */
  passwords?: Record<string, string>;
}

/** The shared account database of a set of memory backends. */
export interface MemoryRealm {
  readonly domain: string;
  readonly domainSid: string;
  /** The user account `name` (created on first use). */
  user(name: string): MemoryPrincipal;
  /** The computer account of machine `name` (`NAME$`, created on first use). */
  machine(name: string): MemoryPrincipal;
  /** True when `password` is the password of `user` (unknown users never match). */
  checkPassword(user: string, password: string): boolean;
}

const EVERYONE: Principal = Object.freeze({ sid: 'S-1-1-0', name: 'Everyone' });
const NETWORK: Principal = Object.freeze({ sid: 'S-1-5-2', name: 'NETWORK', domain: 'NT AUTHORITY' });
const AUTHENTICATED_USERS: Principal = Object.freeze({
  sid: 'S-1-5-11',
  name: 'Authenticated Users',
  domain: 'NT AUTHORITY',
});

/** Creates a realm whose RIDs are handed out in order of first use (from 1100). */
export function createMemoryRealm(opts: MemoryRealmOptions = {}): MemoryRealm {
  const domain = opts.domain ?? 'CONTOSO';
  const domainSid = opts.domainSid ?? 'S-1-5-21-1004336348-1177238915-682003330';
  const passwords = new Map(Object.entries(opts.passwords ?? {}).map(([u, p]) => [u.toLowerCase(), p]));
  const accounts = new Map<string, MemoryPrincipal>();
  let nextRid = 1100;

  const account = (name: string, kind: 'user' | 'machine'): MemoryPrincipal => {
    const key = `${kind}:${name.toLowerCase()}`;
    let found = accounts.get(key);
    if (!found) {
      const primary: Principal =
        kind === 'user'
          ? { sid: `${domainSid}-513`, name: 'Domain Users', domain }
          : { sid: `${domainSid}-515`, name: 'Domain Computers', domain };
      found = Object.freeze({
        sid: `${domainSid}-${nextRid++}`,
        name,
        domain,
        kind,
        groups: Object.freeze([EVERYONE, NETWORK, AUTHENTICATED_USERS, Object.freeze(primary)]),
      });
      accounts.set(key, found);
    }
    return found;
  };

  return {
    domain,
    domainSid,
    user: (name) => account(name, 'user'),
    machine: (name) => account(`${name.toUpperCase()}$`, 'machine'),
    checkPassword: (user, password) => passwords.get(user.toLowerCase()) === password,
  };
}
