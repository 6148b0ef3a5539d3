import type { Principal } from '@wsasec/core';
import { checkPolicy, type PolicyStore, type SimPolicy } from '../policy/policy.js';
import {
  type Account,
  addAccount,
  checkCost,
  checkGroups,
  checkOptions,
  defaultPolicy,
  findAccount,
  newRealmState,
  principalOf,
  type RealmState,
} from './directory.js';
import { generateSigningKey } from './keys.js';
import { createPasswordVerifier, DEFAULT_PASSWORD_COST } from './passwords.js';
import {
  checkAccountName,
  checkDnsName,
  checkDomainSid,
  checkMachineName,
  checkNetbiosDomain,
  invalid,
  randomDomainSid,
  show,
} from './principals.js';
import {
  readRealmFile,
  realmFromJson,
  realmToJson,
  type SimRealmJson,
  writeRealmFile,
} from './realm-file.js';
import { parseSpn } from './target-names.js';

export {
  type Account,
  addAccount,
  checkCost,
  defaultPolicy,
  findAccount,
  newRealmState,
  policyStore,
  principalOf,
  type RealmState,
  tokenGroups,
} from './directory.js';
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

const STATES = new WeakMap<SimRealm, RealmState>();

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
   * Removes a policy added with {@link addPolicy} (as `FwpmProviderContextDeleteByKey0`). Sockets
   * that negotiated under it keep their security associations; new negotiations no longer find it.
   * @returns false when the realm has no policy with this key.
   * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` when `key` is not a string.
   */
  removePolicy(key: string): boolean {
    if (typeof key !== 'string') invalid(`removePolicy needs a policy GUID string, got ${show(key)}`);
    return realmState(this).policies.delete(key.toLowerCase());
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
