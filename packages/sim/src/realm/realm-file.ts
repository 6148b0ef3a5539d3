/**
 * The realm file: a JSON document holding the domain, every account with its private key seed,
 * password verifiers, the CA seed and the policies. Certificates are not stored: Ed25519 is
 * deterministic, so each process that loads the file re-issues the same bytes.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { checkPolicy, type SimPolicy } from '../policy/policy.js';
import { type Account, addAccount, checkCost, newRealmState, type RealmState } from './directory.js';
import { signingKeyFromSeed } from './keys.js';
import type { PasswordVerifier } from './passwords.js';
import {
  checkAccountName,
  checkDnsName,
  checkDomainSid,
  checkMachineName,
  checkNetbiosDomain,
  FIRST_ACCOUNT_RID,
  invalid,
  show,
} from './principals.js';
import { parseSpn } from './target-names.js';

/** Identifies a realm file. */
export const REALM_FILE_FORMAT = 'wsasec-sim-realm';
/** Version of the realm file format this package reads and writes. */
export const REALM_FILE_VERSION = 1;

/** The JSON shape of a realm file (version 1). Binary values are base64url. */
export interface SimRealmJson {
  format: typeof REALM_FILE_FORMAT;
  version: typeof REALM_FILE_VERSION;
  domain: string;
  dnsDomain: string;
  domainSid: string;
  /** Creation time, milliseconds since the epoch, as a decimal string. */
  created: string;
  passwordCost: number;
  /** The CA's Ed25519 private seed. */
  ca: { seed: string };
  nextRid: number;
  groups: { name: string; rid: number }[];
  users: {
    name: string;
    rid: number;
    groups: string[];
    seed: string;
    password?: { salt: string; cost: number; publicKey: string };
  }[];
  machines: { fqdn: string; rid: number; groups: string[]; spns: string[]; seed: string }[];
  policies: SimPolicy[];
}

const b64 = (b: Buffer) => b.toString('base64url');

/** Serializes a realm state. */
export function realmToJson(state: RealmState): SimRealmJson {
  const accounts = [...state.accounts.values()]
    .filter((a) => a.rid >= FIRST_ACCOUNT_RID)
    .sort((a, b) => a.rid - b.rid);
  return {
    format: REALM_FILE_FORMAT,
    version: REALM_FILE_VERSION,
    domain: state.domain,
    dnsDomain: state.dnsDomain,
    domainSid: state.domainSid,
    created: state.created.toString(),
    passwordCost: state.passwordCost,
    ca: { seed: b64(state.ca.seed) },
    nextRid: state.nextRid,
    groups: accounts.filter((a) => a.kind === 'group').map((a) => ({ name: a.name, rid: a.rid })),
    users: accounts
      .filter((a) => a.kind === 'user')
      .map((a) => ({
        name: a.name,
        rid: a.rid,
        groups: [...a.groups],
        seed: b64((a.key as NonNullable<Account['key']>).seed),
        ...(a.password
          ? {
              password: {
                salt: b64(a.password.salt),
                cost: a.password.cost,
                publicKey: b64(a.password.publicKey),
              },
            }
          : {}),
      })),
    machines: accounts
      .filter((a) => a.kind === 'machine')
      .map((a) => ({
        fqdn: a.fqdn as string,
        rid: a.rid,
        groups: [...a.groups],
        spns: (a.spns ?? []).filter((s) => !isDefaultSpn(a, s)),
        seed: b64((a.key as NonNullable<Account['key']>).seed),
      })),
    policies: [...state.policies.values()],
  };
}

function isDefaultSpn(a: Account, spn: string): boolean {
  const lower = spn.toLowerCase();
  return lower === `host/${a.fqdn}` || lower === `host/${(a.netbios ?? '').toLowerCase()}`;
}

function obj(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid(`realm file: ${path} must be an object, got ${show(value)}`);
  return value as Record<string, unknown>;
}

function arr(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) invalid(`realm file: ${path} must be an array, got ${show(value)}`);
  return value;
}

function int(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    invalid(`realm file: ${path} must be an integer from ${min} to ${max}, got ${show(value)}`);
  return value;
}

function bytes(value: unknown, path: string, length: number): Buffer {
  const buf =
    typeof value === 'string' && /^[A-Za-z0-9_-]*$/.test(value) ? Buffer.from(value, 'base64url') : undefined;
  if (!buf || buf.length !== length)
    invalid(`realm file: ${path} must be ${length} bytes in base64url, got ${show(value)}`);
  return buf;
}

function strings(value: unknown, path: string): string[] {
  const list = arr(value, path);
  if (list.some((v) => typeof v !== 'string')) invalid(`realm file: ${path} must hold strings only`);
  return list as string[];
}

function known(o: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(o))
    if (!allowed.includes(key)) invalid(`realm file: ${path} has an unknown field "${key}"`);
}

const MAX_RID = 0x3fff_ffff;

/**
 * Rebuilds a realm state from its JSON, checking every field.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` naming the first bad field.
 */
export function realmFromJson(json: unknown): RealmState {
  const root = obj(json, 'the document');
  if (root.format !== REALM_FILE_FORMAT)
    invalid(
      `realm file: format must be "${REALM_FILE_FORMAT}", got ${show(root.format)}; is this a realm file?`,
    );
  if (root.version !== REALM_FILE_VERSION)
    invalid(
      `realm file: version ${show(root.version)} is not supported; this package reads version ${REALM_FILE_VERSION}`,
    );
  known(
    root,
    [
      'format',
      'version',
      'domain',
      'dnsDomain',
      'domainSid',
      'created',
      'passwordCost',
      'ca',
      'nextRid',
      'groups',
      'users',
      'machines',
      'policies',
    ],
    'the document',
  );
  if (typeof root.created !== 'string' || !/^\d{1,16}$/.test(root.created))
    invalid(`realm file: created must be a decimal string of milliseconds, got ${show(root.created)}`);
  const ca = obj(root.ca, 'ca');
  const state = newRealmState({
    domain: checkNetbiosDomain(root.domain),
    dnsDomain: checkDnsName(root.dnsDomain, 'dnsDomain'),
    domainSid: checkDomainSid(root.domainSid),
    passwordCost: checkCost(root.passwordCost),
    ca: signingKeyFromSeed(bytes(ca.seed, 'ca.seed', 32)),
    created: BigInt(root.created),
  });
  arr(root.groups, 'groups').forEach((g, i) => {
    const o = obj(g, `groups[${i}]`);
    known(o, ['name', 'rid'], `groups[${i}]`);
    addAccount(
      state,
      { kind: 'group', name: checkAccountName(o.name, 'group'), groups: [] },
      int(o.rid, `groups[${i}].rid`, FIRST_ACCOUNT_RID, MAX_RID),
    );
  });
  const groupNames = (value: unknown, path: string) =>
    strings(value, path).map((name) => {
      const account = state.names.get(name.toLowerCase());
      if (account?.kind !== 'group') invalid(`realm file: ${path} names unknown group ${show(name)}`);
      return account.name;
    });
  arr(root.users, 'users').forEach((u, i) => {
    const path = `users[${i}]`;
    const o = obj(u, path);
    known(o, ['name', 'rid', 'groups', 'seed', 'password'], path);
    let password: PasswordVerifier | undefined;
    if (o.password !== undefined) {
      const p = obj(o.password, `${path}.password`);
      known(p, ['salt', 'cost', 'publicKey'], `${path}.password`);
      password = {
        salt: bytes(p.salt, `${path}.password.salt`, 16),
        cost: checkCost(p.cost),
        publicKey: bytes(p.publicKey, `${path}.password.publicKey`, 32),
      };
    }
    addAccount(
      state,
      {
        kind: 'user',
        name: checkAccountName(o.name, 'user'),
        groups: groupNames(o.groups, `${path}.groups`),
        ...(password ? { password } : {}),
      },
      int(o.rid, `${path}.rid`, FIRST_ACCOUNT_RID, MAX_RID),
      signingKeyFromSeed(bytes(o.seed, `${path}.seed`, 32)),
    );
  });
  arr(root.machines, 'machines').forEach((m, i) => {
    const path = `machines[${i}]`;
    const o = obj(m, path);
    known(o, ['fqdn', 'rid', 'groups', 'spns', 'seed'], path);
    const names = checkMachineName(o.fqdn);
    const extra = strings(o.spns, `${path}.spns`);
    if (extra.some((s) => !parseSpn(s)))
      invalid(`realm file: ${path}.spns must hold SPNs like http/${names.fqdn}`);
    addAccount(
      state,
      {
        kind: 'machine',
        name: `${names.netbios}$`,
        groups: groupNames(o.groups, `${path}.groups`),
        fqdn: names.fqdn,
        netbios: names.netbios,
        spns: [...new Set([`host/${names.fqdn}`, `host/${names.netbios}`, ...extra])],
      },
      int(o.rid, `${path}.rid`, FIRST_ACCOUNT_RID, MAX_RID),
      signingKeyFromSeed(bytes(o.seed, `${path}.seed`, 32)),
    );
  });
  state.nextRid = Math.max(state.nextRid, int(root.nextRid, 'nextRid', FIRST_ACCOUNT_RID, MAX_RID + 1));
  arr(root.policies, 'policies').forEach((p, i) => {
    const policy = checkPolicy(p);
    if (state.policies.has(policy.key)) invalid(`realm file: policies[${i}] repeats key ${policy.key}`);
    state.policies.set(policy.key, policy);
  });
  return state;
}

/**
 * Reads and parses a realm file.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (unreadable, not JSON).
 */
export async function readRealmFile(path: string): Promise<unknown> {
  if (typeof path !== 'string' || path.length === 0)
    invalid(`a realm file path must be a non-empty string, got ${show(path)}`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return invalid(
      `cannot read the realm file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    return invalid(`the realm file ${path} is not JSON`);
  }
}

/** Writes a realm file atomically (temporary file + rename), mode 0600. */
export async function writeRealmFile(path: string, json: SimRealmJson): Promise<void> {
  if (typeof path !== 'string' || path.length === 0)
    invalid(`a realm file path must be a non-empty string, got ${show(path)}`);
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    invalid(
      `cannot write the realm file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}
