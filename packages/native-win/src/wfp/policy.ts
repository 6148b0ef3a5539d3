/**
 * The policy description WFP provider contexts are made from: the same shape the sim's
 * `realm.addPolicy()` takes, so one description works on both backends. Validated here with the
 * rules every backend shares (core) plus what Windows cannot express (fractional seconds, more than
 * 2^32 KiB, administrator defaults).
 * @module
 */
import {
  type MainModePolicyDescription,
  normalizePolicyDescription,
  type PolicyDescription,
  type PolicyLifetime,
  type QuickModePolicyDescription,
  SecureSocketError,
} from '@wsasec/core';

/** Quick-mode SA lifetime (Windows counts whole kilobytes, rounded up, and whole seconds). */
export type WfpPolicyLifetime = PolicyLifetime;

/** An AuthIP quick-mode policy (`FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT`); `default` only absent or false. */
export type WfpQuickModePolicy = QuickModePolicyDescription;

/** An AuthIP main-mode policy (`FWPM_IPSEC_AUTHIP_MM_CONTEXT`); `default` only absent or false. */
export type WfpMainModePolicy = MainModePolicyDescription;

/** A policy description, as `realm.addPolicy()` takes it. */
export type WfpPolicy = PolicyDescription;

/** A validated policy: lower-case key, lifetime filled in with the defaults. */
export type CheckedWfpPolicy =
  | { key: string; mode: 'quick'; protection: 'integrity' | 'encryption'; seconds: number; kilobytes: number }
  | { key: string; mode: 'main'; user: boolean };

/** Default QM lifetime: 1 hour / 55 GiB, the built-in secure-socket proposals' (spec §7.4). */
export const DEFAULT_QM_LIFETIME = Object.freeze({ seconds: 3600, bytes: 55 * 2 ** 30 });

const UINT32_MAX = 0xffff_ffff;

function invalid(message: string): never {
  throw new SecureSocketError('ERR_WSASEC_INVALID_ARGUMENT', message, { syscall: 'FwpmProviderContextAdd0' });
}

/**
 * Validates a policy description before anything is sent to WFP: the rules every backend shares
 * (`normalizePolicyDescription` of core), then what Windows cannot express.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` saying what is accepted.
 */
export function checkWfpPolicy(value: unknown): CheckedWfpPolicy {
  const policy = normalizePolicyDescription(value, 'FwpmProviderContextAdd0');
  if (policy.default)
    invalid(
      'policy default must be absent or false on Windows, got true: administrator (default) policies come from Windows policy (Group Policy, netsh), not from provider contexts',
    );
  if (policy.mode === 'main')
    return { key: policy.key, mode: 'main', user: policy.authentication.includes('user') };
  const { bytes = DEFAULT_QM_LIFETIME.bytes, seconds = DEFAULT_QM_LIFETIME.seconds } = policy.lifetime ?? {};
  if (bytes > UINT32_MAX * 1024)
    invalid(
      `policy lifetime.bytes must be a positive integer up to ${UINT32_MAX * 1024} on Windows, got ${bytes}`,
    );
  if (!Number.isInteger(seconds))
    invalid(`policy lifetime.seconds must be a whole number of seconds on Windows, got ${seconds}`);
  return {
    key: policy.key,
    mode: 'quick',
    protection: policy.protection,
    seconds,
    kilobytes: Math.ceil(bytes / 1024),
  };
}
