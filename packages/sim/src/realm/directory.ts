/**
 * The directory behind a realm: accounts (users, groups, machines) with their SIDs, keys and
 * certificates, name lookup, token groups, and the policy store.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import type { Principal } from '@wsasec/core';
import type { PolicyStore, SimPolicy } from '../policy/policy.js';
import { issueCertificate } from './certificates.js';
import { generateSigningKey, type SigningKey } from './keys.js';
import { PASSWORD_COST_RANGE, type PasswordVerifier } from './passwords.js';
import {
  AUTHENTICATED_USERS,
  EVERYONE,
  FIRST_ACCOUNT_RID,
  invalid,
  NETWORK,
  show,
  WELL_KNOWN_RIDS,
} from './principals.js';

const CERT_VALIDITY_MS = 100n * 365n * 86_400_000n;

/** @internal An account of the directory. */
export interface Account {
  kind: 'user' | 'machine' | 'group';
  rid: number;
  sid: string;
  /** sAMAccountName: `alice`, `SERVER$`, `Payroll`. */
  name: string;
  /** Group names (as given), for users and machines. */
  groups: string[];
  key?: SigningKey;
  certificate?: Buffer;
  password?: PasswordVerifier;
  passwordKey?: KeyObject;
  fqdn?: string;
  netbios?: string;
  spns?: string[];
}

/** @internal The realm's state, shared with the rest of the package. */
export interface RealmState {
  domain: string;
  dnsDomain: string;
  domainSid: string;
  /** Creation time (ms since the epoch); certificates are valid from a day before it. */
  created: bigint;
  passwordCost: number;
  ca: SigningKey;
  nextRid: number;
  accounts: Map<string, Account>;
  /** Lower-case sAMAccountName, FQDN and NetBIOS name → account. */
  names: Map<string, Account>;
  policies: Map<string, SimPolicy>;
}

/** @internal A realm state with the built-in groups and nothing else. */
export function newRealmState(
  init: Pick<RealmState, 'domain' | 'dnsDomain' | 'domainSid' | 'passwordCost' | 'ca' | 'created'>,
): RealmState {
  const state: RealmState = {
    ...init,
    nextRid: FIRST_ACCOUNT_RID,
    accounts: new Map(),
    names: new Map(),
    policies: new Map(),
  };
  for (const [name, rid] of Object.entries(WELL_KNOWN_RIDS)) {
    const account: Account = { kind: 'group', rid, sid: `${state.domainSid}-${rid}`, name, groups: [] };
    state.accounts.set(account.sid, account);
    state.names.set(name.toLowerCase(), account);
  }
  return state;
}

/** @internal Checks the scrypt cost. */
export function checkCost(value: unknown): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < PASSWORD_COST_RANGE.min ||
    value > PASSWORD_COST_RANGE.max
  )
    invalid(
      `passwordCost must be an integer from ${PASSWORD_COST_RANGE.min} to ${PASSWORD_COST_RANGE.max}, got ${show(value)}`,
    );
  return value;
}

/** @internal Refuses fields other than `allowed`. */
export function checkOptions(opts: unknown, allowed: readonly string[], what: string): void {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts))
    invalid(`${what} must be an object, got ${show(opts)}`);
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key))
      invalid(`${what} has an unknown field "${key}"; accepted: ${allowed.join(', ')}`);
  }
}

/** @internal Resolves group names to their canonical names. */
export function checkGroups(state: RealmState, groups: unknown): string[] {
  if (groups === undefined) return [];
  if (!Array.isArray(groups)) invalid(`groups must be an array of group names, got ${show(groups)}`);
  return groups.map((g) => {
    const account = typeof g === 'string' ? state.names.get(g.toLowerCase()) : undefined;
    if (account?.kind !== 'group') invalid(`unknown group ${show(g)}; add it first with realm.addGroup()`);
    return account.name;
  });
}

/** @internal Adds an account with the next RID, its key and certificate. */
export function addAccount(
  state: RealmState,
  init: Omit<Account, 'rid' | 'sid'>,
  rid?: number,
  key?: SigningKey,
): Account {
  const lower = init.name.toLowerCase();
  if (state.names.has(lower)) invalid(`an account named ${init.name} already exists in ${state.domain}`);
  for (const other of [init.netbios?.toLowerCase(), init.fqdn]) {
    if (other && state.names.has(other))
      invalid(`an account named ${other} already exists in ${state.domain}`);
  }
  const assigned = rid ?? state.nextRid;
  const sid = `${state.domainSid}-${assigned}`;
  if (state.accounts.has(sid)) invalid(`RID ${assigned} is used twice`);
  state.nextRid = Math.max(state.nextRid, assigned + 1);
  const account: Account = { ...init, rid: assigned, sid };
  if (account.kind !== 'group') {
    account.key = key ?? generateSigningKey();
    account.certificate = issueCertificate(
      {
        kind: account.kind === 'machine' ? 'machine' : 'user',
        sid,
        name: account.name,
        issuer: state.domainSid,
        // A day of clock skew, but never before the epoch (a certificate time is unsigned).
        notBefore: state.created > 86_400_000n ? state.created - 86_400_000n : 0n,
        notAfter: state.created + CERT_VALIDITY_MS,
        publicKey: account.key.publicRaw,
      },
      state.ca.privateKey,
    );
  }
  state.accounts.set(sid, account);
  state.names.set(lower, account);
  if (account.fqdn) state.names.set(account.fqdn, account);
  if (account.netbios) state.names.set(account.netbios.toLowerCase(), account);
  return account;
}

/** @internal The realm state as a policy store. */
export function policyStore(state: RealmState): PolicyStore {
  return { getPolicy: (key) => state.policies.get(key), defaultPolicy: (mode) => defaultPolicy(state, mode) };
}

/** @internal The realm's default policy of a mode. */
export function defaultPolicy(state: RealmState, mode: 'main' | 'quick'): SimPolicy | undefined {
  for (const policy of state.policies.values()) if (policy.mode === mode && policy.default) return policy;
  return undefined;
}

/** @internal Finds a user, group or machine by any of its names (case-insensitive). */
export function findAccount(state: RealmState, name: string): Account | undefined {
  let n = name.toLowerCase();
  const slash = n.indexOf('\\');
  if (slash >= 0) {
    if (n.slice(0, slash) !== state.domain.toLowerCase() && n.slice(0, slash) !== state.dnsDomain)
      return undefined;
    n = n.slice(slash + 1);
  }
  const at = n.lastIndexOf('@');
  if (at > 0) {
    if (n.slice(at + 1) !== state.dnsDomain && n.slice(at + 1) !== state.domain.toLowerCase())
      return undefined;
    n = n.slice(0, at);
  }
  return state.names.get(n);
}

/** @internal The principal of an account. */
export function principalOf(state: RealmState, account: Account): Principal {
  return { sid: account.sid, name: account.name, domain: state.domain };
}

/**
 * @internal The group SIDs of a network-logon token of `account`: its primary group (Domain Users
 * or Domain Computers), its realm groups, then Everyone, Authenticated Users and NETWORK.
 */
export function tokenGroups(state: RealmState, account: Account): Principal[] {
  const primary = account.kind === 'machine' ? 'Domain Computers' : 'Domain Users';
  const names = [primary, ...account.groups.filter((g) => g !== primary)];
  const groups = names.flatMap((g) => {
    const group = state.names.get(g.toLowerCase());
    return group ? [principalOf(state, group)] : [];
  });
  return [...groups, EVERYONE, AUTHENTICATED_USERS, NETWORK];
}
