/**
 * The realm: the simulated domain. Domain name and SID, users, groups and machines (each with a SID;
 * machines with SPNs), a realm CA (Ed25519) that certifies one key per principal, password
 * verifiers for explicit credentials, and the policy store. Built in code or loaded from a realm
 * file (which holds every private key: protect it like a domain controller's database).
 * @module
 */
import type { KeyObject } from 'node:crypto';
import type { Principal } from '@wsasec/core';
import { issueCertificate } from './sim-certificates.js';
import { generateSigningKey, type SigningKey } from './sim-keys.js';
import {
  createPasswordVerifier,
  DEFAULT_PASSWORD_COST,
  PASSWORD_COST_RANGE,
  type PasswordVerifier,
} from './sim-passwords.js';
import { checkPolicy, type PolicyStore, type SimPolicy } from './sim-policy.js';
import {
  AUTHENTICATED_USERS,
  checkAccountName,
  checkDnsName,
  checkDomainSid,
  checkMachineName,
  checkNetbiosDomain,
  EVERYONE,
  FIRST_ACCOUNT_RID,
  invalid,
  NETWORK,
  randomDomainSid,
  show,
  WELL_KNOWN_RIDS,
} from './sim-principals.js';
import {
  readRealmFile,
  realmFromJson,
  realmToJson,
  type SimRealmJson,
  writeRealmFile,
} from './sim-realm-json.js';
import { parseSpn } from './sim-target-names.js';

export type { SimRealmJson };

/** Options of {@link createSimRealm}. */
export interface SimRealmOptions {
  /** NetBIOS domain name, e.g. `'CONTOSO'` (1–15 characters). */
  domain: string;
  /** DNS domain name, e.g. `'contoso.com'`. */
  dnsDomain: string;
  /** Domain SID `S-1-5-21-a-b-c`; random when absent. */
  domainSid?: string;
  /** log2 of the scrypt cost of password verifiers (10–17, default 14). */
  passwordCost?: number;
}

/** Options of `realm.addUser()`. */
export interface AddUserOptions {
  /** Password for explicit credentials (`ipsec.credentials`); without it the user can only log on. */
  password?: string;
  /** Names of realm groups the user belongs to (besides Domain Users). */
  groups?: readonly string[];
}

/** Options of `realm.addMachine()`. */
export interface AddMachineOptions {
  /** Names of realm groups the machine belongs to (besides Domain Computers). */
  groups?: readonly string[];
  /** Extra SPNs (`http/server.contoso.com`); `host/<fqdn>` and `host/<NETBIOS>` are always registered. */
  spns?: readonly string[];
}

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

const STATES = new WeakMap<SimRealm, RealmState>();
const CERT_VALIDITY_MS = 100n * 365n * 86_400_000n;

/** @internal The state behind a realm. */
export function realmState(realm: SimRealm): RealmState {
  const state = STATES.get(realm);
  if (!state) invalid(`expected a SimRealm (from createSimRealm or SimRealm.load), got ${show(realm)}`);
  return state;
}

/**
 * A simulated Windows domain. Create one with {@link createSimRealm}, or load a realm file with
 * {@link SimRealm.load} / {@link SimRealm.fromJSON}.
 */
export class SimRealm implements PolicyStore {
  /**
   * @internal Use {@link createSimRealm}.
   * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` for anything but a realm's state.
   */
  constructor(state: RealmState) {
    const s = state as Partial<RealmState> | null | undefined;
    if (
      typeof s !== 'object' ||
      s === null ||
      !(s.accounts instanceof Map) ||
      !(s.names instanceof Map) ||
      !(s.policies instanceof Map) ||
      typeof s.domainSid !== 'string'
    )
      invalid(
        'new SimRealm() is internal; create a realm with createSimRealm(), SimRealm.load() or SimRealm.fromJSON()',
      );
    STATES.set(this, state);
  }

  /** NetBIOS domain name (upper case). */
  get domain(): string {
    return realmState(this).domain;
  }

  /** DNS domain name (lower case). */
  get dnsDomain(): string {
    return realmState(this).dnsDomain;
  }

  /** Domain SID (`S-1-5-21-…`). */
  get domainSid(): string {
    return realmState(this).domainSid;
  }

  /**
   * Adds a group (`Payroll`). Its SID is `<domain SID>-<rid>`.
   * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (bad or duplicate name).
   */
  addGroup(name: string): Principal {
    const state = realmState(this);
    const account = addAccount(state, { kind: 'group', name: checkAccountName(name, 'group'), groups: [] });
    return principalOf(state, account);
  }

  /**
   * Adds a user with a realm certificate (used when a backend runs as this user) and, with
   * `password`, a password verifier for explicit credentials.
   * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (bad or duplicate name, unknown group, bad password).
   */
  addUser(name: string, opts: AddUserOptions = {}): Principal {
    const state = realmState(this);
    checkOptions(opts, ['password', 'groups'], 'addUser options');
    const account: Omit<Account, 'rid' | 'sid'> = {
      kind: 'user',
      name: checkAccountName(name, 'user'),
      groups: checkGroups(state, opts.groups),
    };
    if (opts.password !== undefined) {
      if (typeof opts.password !== 'string' || opts.password.length > 256 || opts.password.includes('\0'))
        invalid('addUser: password must be a string of at most 256 characters without NUL');
      account.password = createPasswordVerifier(opts.password, state.passwordCost);
    }
    return principalOf(state, addAccount(state, account));
  }

  /**
   * Adds a domain-joined machine `server.contoso.com`: account `SERVER$`, SPNs `host/<fqdn>` and
   * `host/<NETBIOS>`, member of Domain Computers, with a realm certificate.
   * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (bad or duplicate name, unknown group, bad SPN).
   */
  addMachine(fqdn: string, opts: AddMachineOptions = {}): Principal {
    const state = realmState(this);
    checkOptions(opts, ['groups', 'spns'], 'addMachine options');
    const names = checkMachineName(fqdn);
    const extra = opts.spns ?? [];
    if (!Array.isArray(extra) || extra.some((s) => typeof s !== 'string' || !parseSpn(s) || s.length > 256))
      invalid(`addMachine: spns must be SPNs like 'http/${names.fqdn}', got ${show(opts.spns)}`);
    const spns = [...new Set([`host/${names.fqdn}`, `host/${names.netbios}`, ...extra])];
    const account = addAccount(state, {
      kind: 'machine',
      name: `${names.netbios}$`,
      groups: checkGroups(state, opts.groups),
      fqdn: names.fqdn,
      netbios: names.netbios,
      spns,
    });
    return principalOf(state, account);
  }

  /**
   * Adds a main-mode or quick-mode policy, selected by sockets through `ipsec.mainModePolicyKey` /
   * `ipsec.quickModePolicyKey` (as `FwpmProviderContextAdd0` does on Windows).
   * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (bad policy, duplicate or built-in key).
   */
  addPolicy(policy: SimPolicy): SimPolicy {
    const state = realmState(this);
    const checked = checkPolicy(policy);
    if (state.policies.has(checked.key))
      invalid(`addPolicy: the realm already has a policy with key ${checked.key}`);
    if (checked.default && defaultPolicy(state, checked.mode))
      invalid(`addPolicy: the realm already has a default ${checked.mode}-mode policy`);
    state.policies.set(checked.key, checked);
    return checked;
  }

  /**
   * The realm policy with this GUID key, if any.
   * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` when `key` is not a string.
   */
  getPolicy(key: string): SimPolicy | undefined {
    if (typeof key !== 'string') invalid(`getPolicy needs a policy GUID string, got ${show(key)}`);
    return realmState(this).policies.get(key.toLowerCase());
  }

  /** The realm's default (administrator) policy of a mode, if any. */
  defaultPolicy(mode: 'main' | 'quick'): SimPolicy | undefined {
    return defaultPolicy(realmState(this), mode);
  }

  /** The principal of a user (`alice`), group, or machine (`server.contoso.com`, `SERVER`, `SERVER$`). */
  lookup(name: string): Principal | undefined {
    const state = realmState(this);
    const account = typeof name === 'string' ? findAccount(state, name) : undefined;
    return account ? principalOf(state, account) : undefined;
  }

  /** The realm as a JSON value (a realm file), including every private key. */
  toJSON(): SimRealmJson {
    return realmToJson(realmState(this));
  }

  /**
   * Rebuilds a realm from {@link SimRealm.toJSON} output.
   * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` naming the first bad field.
   */
  static fromJSON(json: unknown): SimRealm {
    return new SimRealm(realmFromJson(json));
  }

  /**
   * Loads a realm file.
   * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (unreadable file, not JSON, bad content).
   */
  static async load(path: string): Promise<SimRealm> {
    return SimRealm.fromJSON(await readRealmFile(path));
  }

  /** Writes the realm file atomically, readable by its owner only (it holds private keys). */
  async save(path: string): Promise<void> {
    await writeRealmFile(path, this.toJSON());
  }
}

/**
 * Creates an empty realm with its CA and the built-in groups (Domain Admins, Domain Users, Domain
 * Guests, Domain Computers).
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (bad domain names, SID or cost).
 */
export function createSimRealm(opts: SimRealmOptions): SimRealm {
  if (typeof opts !== 'object' || opts === null)
    invalid(`createSimRealm needs { domain, dnsDomain, domainSid?, passwordCost? }, got ${show(opts)}`);
  checkOptions(opts, ['domain', 'dnsDomain', 'domainSid', 'passwordCost'], 'createSimRealm options');
  return new SimRealm(
    newRealmState({
      domain: checkNetbiosDomain(opts.domain),
      dnsDomain: checkDnsName(opts.dnsDomain, 'dnsDomain'),
      domainSid: opts.domainSid === undefined ? randomDomainSid() : checkDomainSid(opts.domainSid),
      passwordCost: checkCost(opts.passwordCost ?? DEFAULT_PASSWORD_COST),
      ca: generateSigningKey(),
      created: BigInt(Date.now()),
    }),
  );
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

function checkOptions(opts: unknown, allowed: readonly string[], what: string): void {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts))
    invalid(`${what} must be an object, got ${show(opts)}`);
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key))
      invalid(`${what} has an unknown field "${key}"; accepted: ${allowed.join(', ')}`);
  }
}

function checkGroups(state: RealmState, groups: unknown): string[] {
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
