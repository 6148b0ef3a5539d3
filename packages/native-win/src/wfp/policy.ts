/**
 * The policy description WFP provider contexts are made from: the same shape the sim's
 * `realm.addPolicy()` takes, so one description works on both backends. Validated here with the
 * sim's rules plus what Windows cannot express (fractional seconds, administrator defaults).
 * @module
 */
import {
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP,
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC,
  normalizeGuid,
  SecureSocketError,
} from '@wsasec/core';

/** Quick-mode SA lifetime: the SA is rekeyed when either is reached. */
export interface WfpPolicyLifetime {
  /** Bytes protected under one SA (Windows counts whole kilobytes: rounded up). */
  bytes?: number;
  /** Seconds one SA lives (whole seconds on Windows). */
  seconds?: number;
}

/** An AuthIP quick-mode policy (`FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT`). */
export interface WfpQuickModePolicy {
  /** Provider-context key (GUID), the socket settings' `ipsec.quickModePolicyKey`. */
  key: string;
  mode: 'quick';
  /** `'integrity'` (ESP AES-256-GMAC) or `'encryption'` (ESP AES-256-GCM). */
  protection: 'integrity' | 'encryption';
  lifetime?: WfpPolicyLifetime;
  /** Only `false`/absent: administrator (default) policies are not provider contexts. */
  default?: boolean;
}

/** An AuthIP main-mode policy (`FWPM_IPSEC_AUTHIP_MM_CONTEXT`). */
export interface WfpMainModePolicy {
  /** Provider-context key (GUID), the socket settings' `ipsec.mainModePolicyKey`. */
  key: string;
  mode: 'main';
  /** `['machine']`, or `['machine', 'user']` to authenticate the socket's user as well. */
  authentication: readonly ('machine' | 'user')[];
  /** Only `false`/absent: administrator (default) policies are not provider contexts. */
  default?: boolean;
}

/** A policy description, as `realm.addPolicy()` takes it. */
export type WfpPolicy = WfpQuickModePolicy | WfpMainModePolicy;

/** A validated policy: lower-case key, lifetime filled in with the defaults. */
export type CheckedWfpPolicy =
  | { key: string; mode: 'quick'; protection: 'integrity' | 'encryption'; seconds: number; kilobytes: number }
  | { key: string; mode: 'main'; user: boolean };

/** Default QM lifetime: 1 hour / 55 GiB, the built-in secure-socket proposals' (spec §7.4). */
export const DEFAULT_QM_LIFETIME = Object.freeze({ seconds: 3600, bytes: 55 * 2 ** 30 });

const UINT32_MAX = 0xffff_ffff;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

function invalid(message: string): never {
  throw new SecureSocketError('ERR_WSASEC_INVALID_ARGUMENT', message, { syscall: 'FwpmProviderContextAdd0' });
}

function checkLifetime(value: unknown): { seconds: number; kilobytes: number } {
  const out: { seconds: number; kilobytes: number } = {
    seconds: DEFAULT_QM_LIFETIME.seconds,
    kilobytes: DEFAULT_QM_LIFETIME.bytes / 1024,
  };
  if (value === undefined) return out;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid(`policy lifetime must be an object { bytes?, seconds? }, got ${show(value)}`);
  const { bytes, seconds, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) invalid(`policy lifetime has unknown field "${extra[0]}"; accepted: bytes, seconds`);
  if (bytes !== undefined) {
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 1 || bytes > UINT32_MAX * 1024)
      invalid(
        `policy lifetime.bytes must be a positive integer up to ${UINT32_MAX * 1024}, got ${show(bytes)}`,
      );
    out.kilobytes = Math.ceil(bytes / 1024);
  }
  if (seconds !== undefined) {
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > 315_360_000)
      invalid(
        `policy lifetime.seconds must be a whole number of seconds from 1 to 315360000 (ten years) on Windows, got ${show(seconds)}`,
      );
    out.seconds = seconds;
  }
  return out;
}

function checkDefault(value: unknown): void {
  if (value === undefined || value === false) return;
  invalid(
    `policy default must be absent or false on Windows, got ${show(value)}: administrator (default) policies come from Windows policy (Group Policy, netsh), not from provider contexts`,
  );
}

/**
 * Validates a policy description before anything is sent to WFP.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` saying what is accepted.
 */
export function checkWfpPolicy(value: unknown): CheckedWfpPolicy {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid(`a policy must be an object { key, mode: 'main' | 'quick', … }, got ${show(value)}`);
  const p = value as Record<string, unknown>;
  let key: string | undefined;
  try {
    key = normalizeGuid(p.key, 'policy key', 'FwpmProviderContextAdd0');
  } catch (error) {
    invalid((error as Error).message);
  }
  if (!key) invalid('policy key must be a non-zero GUID string like 6f9619ff-8b86-d011-b42d-00c04fc964ff');
  if (key === FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP || key === FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC)
    invalid(`policy key ${key} is the built-in default policy's; choose a new GUID`);
  if (p.mode === 'quick') {
    const extra = Object.keys(p).filter(
      (k) => !['key', 'mode', 'protection', 'lifetime', 'default'].includes(k),
    );
    if (extra.length > 0)
      invalid(
        `quick-mode policy has unknown field "${extra[0]}"; accepted: key, mode, protection, lifetime, default`,
      );
    if (p.protection !== 'integrity' && p.protection !== 'encryption')
      invalid(`quick-mode policy protection must be 'integrity' or 'encryption', got ${show(p.protection)}`);
    const lifetime = checkLifetime(p.lifetime);
    checkDefault(p.default);
    return { key, mode: 'quick', protection: p.protection, ...lifetime };
  }
  if (p.mode === 'main') {
    const extra = Object.keys(p).filter((k) => !['key', 'mode', 'authentication', 'default'].includes(k));
    if (extra.length > 0)
      invalid(
        `main-mode policy has unknown field "${extra[0]}"; accepted: key, mode, authentication, default`,
      );
    const auth = p.authentication;
    const ok =
      Array.isArray(auth) &&
      auth.length >= 1 &&
      auth.length <= 2 &&
      auth.includes('machine') &&
      auth.every((a) => a === 'machine' || a === 'user') &&
      new Set(auth).size === auth.length;
    if (!ok)
      invalid(
        `main-mode policy authentication must be ['machine'] or ['machine', 'user'], got ${show(auth)}`,
      );
    checkDefault(p.default);
    return { key, mode: 'main', user: (auth as string[]).includes('user') };
  }
  return invalid(`policy mode must be 'main' or 'quick', got ${show(p.mode)}`);
}
