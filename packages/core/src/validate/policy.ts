/**
 * The description of a custom AuthIP policy, the one shape both backends take: the sim's
 * `realm.addPolicy()` and native-win's WFP provider contexts (`FwpmProviderContextAdd0`), whose keys
 * the socket settings name (`ipsec.mainModePolicyKey`, `ipsec.quickModePolicyKey`). Validated once
 * here; a backend adds only what its platform cannot express (Windows: whole seconds, kilobytes, no
 * administrator defaults).
 * @module
 */
import {
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP,
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC,
} from '../contract/constants.js';
import type { SecureSocketSyscall } from '../contract/error-codes.js';
import { SecureSocketError } from '../errors/errors.js';
import { normalizeGuid } from './validate.js';

/** Quick-mode SA lifetime: the sender rekeys its outbound SA when either is reached. */
export interface PolicyLifetime {
  /** Bytes protected under one SA. */
  bytes?: number;
  /** Seconds one SA lives. */
  seconds?: number;
}

/** An AuthIP quick-mode policy (`FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT`). */
export interface QuickModePolicyDescription {
  /** Provider-context key (GUID), the socket settings' `ipsec.quickModePolicyKey`. */
  key: string;
  mode: 'quick';
  /** `'integrity'` (ESP AES-256-GMAC) or `'encryption'` (ESP AES-256-GCM). */
  protection: 'integrity' | 'encryption';
  lifetime?: PolicyLifetime;
  /** An administrator's (domain) policy, for the sockets whose settings name none (sim only). */
  default?: boolean;
}

/** An AuthIP main-mode policy (`FWPM_IPSEC_AUTHIP_MM_CONTEXT`). */
export interface MainModePolicyDescription {
  /** Provider-context key (GUID), the socket settings' `ipsec.mainModePolicyKey`. */
  key: string;
  mode: 'main';
  /** `['machine']`, or `['machine', 'user']` for an extended-mode user authentication. */
  authentication: readonly ('machine' | 'user')[];
  /** An administrator's (domain) policy, for the sockets whose settings name none (sim only). */
  default?: boolean;
}

/** A custom policy description. */
export type PolicyDescription = QuickModePolicyDescription | MainModePolicyDescription;

/** Longest lifetime a policy may give, in seconds (ten years). */
export const MAX_POLICY_LIFETIME_SECONDS = 315_360_000;

const BUILT_IN_KEYS = new Set([
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP,
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC,
]);

function show(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 60 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

function onlyFields(
  value: Record<string, unknown>,
  accepted: readonly string[],
  what: string,
  fail: (m: string) => never,
) {
  const extra = Object.keys(value).find((k) => !accepted.includes(k));
  if (extra !== undefined) fail(`${what} has unknown field "${extra}"; accepted: ${accepted.join(', ')}`);
}

function checkLifetime(value: unknown, fail: (m: string) => never): PolicyLifetime | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(`policy lifetime must be an object { bytes?, seconds? }, got ${show(value)}`);
  const { bytes, seconds } = value as Record<string, unknown>;
  onlyFields(value as Record<string, unknown>, ['bytes', 'seconds'], 'policy lifetime', fail);
  const out: PolicyLifetime = {};
  if (bytes !== undefined) {
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 1)
      fail(`policy lifetime.bytes must be a positive integer, got ${show(bytes)}`);
    out.bytes = bytes;
  }
  if (seconds !== undefined) {
    if (
      typeof seconds !== 'number' ||
      !Number.isFinite(seconds) ||
      seconds <= 0 ||
      seconds > MAX_POLICY_LIFETIME_SECONDS
    )
      fail(
        `policy lifetime.seconds must be a positive number of seconds (at most ten years), got ${show(seconds)}`,
      );
    out.seconds = seconds;
  }
  return Object.freeze(out);
}

/**
 * Validates a policy description and returns a frozen copy with a lower-case key (`default` kept
 * only when true).
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` saying what is accepted.
 */
export function normalizePolicyDescription(value: unknown, syscall: SecureSocketSyscall): PolicyDescription {
  const fail = (message: string): never => {
    throw new SecureSocketError('ERR_WSASEC_INVALID_ARGUMENT', message, { syscall });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(`a policy must be an object { key, mode: 'main' | 'quick', … }, got ${show(value)}`);
  const p = value as Record<string, unknown>;
  let key: string | undefined;
  try {
    key = normalizeGuid(p.key, 'policy key', syscall);
  } catch (error) {
    fail((error as Error).message);
  }
  if (!key)
    return fail('policy key must be a non-zero GUID string like 6f9619ff-8b86-d011-b42d-00c04fc964ff');
  if (BUILT_IN_KEYS.has(key)) fail(`policy key ${key} is the built-in default policy's; choose a new GUID`);
  if (p.default !== undefined && typeof p.default !== 'boolean')
    fail(`policy default must be true or false, got ${show(p.default)}`);
  const isDefault = p.default === true ? { default: true } : {};
  if (p.mode === 'quick') {
    onlyFields(p, ['key', 'mode', 'protection', 'lifetime', 'default'], 'quick-mode policy', fail);
    if (p.protection !== 'integrity' && p.protection !== 'encryption')
      fail(`quick-mode policy protection must be 'integrity' or 'encryption', got ${show(p.protection)}`);
    const lifetime = checkLifetime(p.lifetime, fail);
    return Object.freeze({
      key,
      mode: 'quick',
      protection: p.protection as 'integrity' | 'encryption',
      ...(lifetime ? { lifetime } : {}),
      ...isDefault,
    });
  }
  if (p.mode === 'main') {
    onlyFields(p, ['key', 'mode', 'authentication', 'default'], 'main-mode policy', fail);
    const auth = p.authentication;
    const ok =
      Array.isArray(auth) &&
      auth.length >= 1 &&
      auth.length <= 2 &&
      auth.includes('machine') &&
      auth.every((a) => a === 'machine' || a === 'user') &&
      new Set(auth).size === auth.length;
    if (!ok)
      fail(`main-mode policy authentication must be ['machine'] or ['machine', 'user'], got ${show(auth)}`);
    return Object.freeze({
      key,
      mode: 'main',
      authentication: Object.freeze([...(auth as ('machine' | 'user')[])]),
      ...isDefault,
    });
  }
  return fail(`policy mode must be 'main' or 'quick', got ${show(p.mode)}`);
}
