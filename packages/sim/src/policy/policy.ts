/**
 * The policy store (what WFP/IKEEXT hold on Windows): the built-in secure-socket defaults, realm
 * policies keyed by GUID, and the effective policy of one socket.
 * @module
 */
import {
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP,
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC,
  type NormalizedSecuritySettings,
  normalizeGuid,
  SecureSocketError,
  SOCKET_SETTINGS_ALLOW_INSECURE,
  SOCKET_SETTINGS_GUARANTEE_ENCRYPTION,
  SOCKET_SETTINGS_IPSEC_ALLOW_FIRST_INBOUND_PKT_UNENCRYPTED,
  SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION,
  SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT,
  SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION,
} from '@wsasec/core';
import { invalid, show } from '../realm/principals.js';

/** A quick-mode transform: ESP with AES-256-GMAC (integrity only) or AES-256-GCM (encryption). */
export type Transform = 'integrity' | 'encryption';

/** QM SA lifetime; the sender rekeys its outbound SA when either is reached. */
export interface Lifetime {
  /** Bytes protected under one SA. */
  bytes?: number;
  /** Seconds one SA lives (fractions allowed). */
  seconds?: number;
}

/** An AuthIP quick-mode policy (`FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT`). */
export interface QuickModePolicy {
  /** Provider-context key (GUID). */
  key: string;
  mode: 'quick';
  /** `'integrity'` (ESP auth-only) or `'encryption'` (ESP with encryption). */
  protection: Transform;
  lifetime?: Lifetime;
  /**
   * An administrator's (domain) policy: applies to every socket whose settings name no quick-mode
   * policy, and makes `skipFilterInstantiation` sockets protected. At most one per realm.
   */
  default?: boolean;
}

/** An AuthIP main-mode policy (`FWPM_IPSEC_AUTHIP_MM_CONTEXT`). */
export interface MainModePolicy {
  /** Provider-context key (GUID). */
  key: string;
  mode: 'main';
  /** `['machine']`, or `['machine', 'user']` for an extended-mode user authentication. */
  authentication: readonly ('machine' | 'user')[];
  /**
   * An administrator's (domain) policy: applies to every socket whose settings name no main-mode
   * policy, and makes `skipFilterInstantiation` sockets protected. At most one per realm.
   */
  default?: boolean;
}

/** A realm policy, as given to `realm.addPolicy()`. */
export type SimPolicy = QuickModePolicy | MainModePolicy;

/** Default QM lifetime: 1 hour / 55 GiB, as the built-in secure-socket proposals (spec §7.4). */
export const DEFAULT_LIFETIME: Required<Lifetime> = Object.freeze({ seconds: 3600, bytes: 55 * 2 ** 30 });

/** The resolved policy of one socket. */
export interface EffectivePolicy {
  /** False when no policy covers the socket (skipFilterInstantiation without realm policy). */
  readonly protect: boolean;
  readonly mainModeKey: string;
  readonly quickModeKey: string;
  /** Main mode asks for a user (extended mode). */
  readonly requireUser: boolean;
  /** Transforms in preference order, already filtered by guaranteeEncryption. */
  readonly proposals: readonly Transform[];
  readonly lifetime: Required<Lifetime>;
  readonly guaranteeEncryption: boolean;
  readonly allowInsecure: boolean;
  readonly optionalPeerName: boolean;
  readonly allowFirstInboundClear: boolean;
  readonly rawPeerName: boolean;
  readonly credentials?: { user: string; domain?: string; password: string } | undefined;
}

const BUILT_IN_KEYS = new Set([
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP,
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC,
]);

function checkLifetime(value: unknown): Lifetime | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid(`policy lifetime must be an object { bytes?, seconds? }, got ${show(value)}`);
  const { bytes, seconds, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) invalid(`policy lifetime has unknown field "${extra[0]}"; accepted: bytes, seconds`);
  const out: Lifetime = {};
  if (bytes !== undefined) {
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 1)
      invalid(`policy lifetime.bytes must be a positive integer, got ${show(bytes)}`);
    out.bytes = bytes;
  }
  if (seconds !== undefined) {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 315_360_000)
      invalid(
        `policy lifetime.seconds must be a positive number of seconds (at most ten years), got ${show(seconds)}`,
      );
    out.seconds = seconds;
  }
  return out;
}

function checkDefault(value: unknown): boolean {
  if (value !== undefined && typeof value !== 'boolean')
    invalid(`policy default must be true or false, got ${show(value)}`);
  return value === true;
}

/**
 * Validates a policy for `realm.addPolicy()` and returns a frozen copy with a lower-case key.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` naming what is accepted.
 */
export function checkPolicy(value: unknown): SimPolicy {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid(`a policy must be an object { key, mode: 'main' | 'quick', … }, got ${show(value)}`);
  const p = value as Record<string, unknown>;
  let key: string | undefined;
  try {
    key = normalizeGuid(p.key, 'policy key', 'addPolicy');
  } catch (error) {
    invalid((error as Error).message);
  }
  if (!key) invalid('policy key must be a non-zero GUID string like 6f9619ff-8b86-d011-b42d-00c04fc964ff');
  if (BUILT_IN_KEYS.has(key))
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
    return Object.freeze({
      key,
      mode: 'quick',
      protection: p.protection,
      ...(lifetime ? { lifetime: Object.freeze(lifetime) } : {}),
      ...(checkDefault(p.default) ? { default: true } : {}),
    });
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
    return Object.freeze({
      key,
      mode: 'main',
      authentication: Object.freeze([...(auth as ('machine' | 'user')[])]),
      ...(checkDefault(p.default) ? { default: true } : {}),
    });
  }
  return invalid(`policy mode must be 'main' or 'quick', got ${show(p.mode)}`);
}

/** Where policy resolution looks realm policies up (a `SimRealm` is one). */
export interface PolicyStore {
  getPolicy(key: string): SimPolicy | undefined;
  /** The realm's default (administrator) policy of a mode, if any. */
  defaultPolicy(mode: 'main' | 'quick'): SimPolicy | undefined;
}

function policyError(message: string): never {
  throw new SecureSocketError('WSAEINVAL', message, { syscall: 'WSASetSocketSecurity' });
}

/**
 * Resolves the effective policy of a socket's settings: realm policies named by
 * `mainModePolicyKey` / `quickModePolicyKey`, else the built-in defaults (integrity preferred,
 * encryption negotiable; main mode authenticates machines).
 * @throws SecureSocketError `WSAEINVAL` for a key the realm does not hold or that names a policy of the
 *   other mode.
 */
export function resolvePolicy(settings: NormalizedSecuritySettings, store: PolicyStore): EffectivePolicy {
  const lookup = (key: string | undefined, mode: 'main' | 'quick'): SimPolicy | undefined => {
    if (key === undefined) return undefined;
    const builtIn =
      mode === 'main'
        ? FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP
        : FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC;
    if (key === builtIn) return undefined;
    const policy = store.getPolicy(key);
    const field = mode === 'main' ? 'ipsec.mainModePolicyKey' : 'ipsec.quickModePolicyKey';
    if (!policy)
      policyError(
        `${field} ${key}: the realm has no policy with this key; add it with realm.addPolicy({ key, mode: '${mode}', … })`,
      );
    if (policy.mode !== mode)
      policyError(`${field} ${key} names a ${policy.mode}-mode policy; a ${mode}-mode policy is needed here`);
    return policy;
  };
  const mm = (lookup(settings.mainModePolicyKey, 'main') ?? store.defaultPolicy('main')) as
    | MainModePolicy
    | undefined;
  const qm = (lookup(settings.quickModePolicyKey, 'quick') ?? store.defaultPolicy('quick')) as
    | QuickModePolicy
    | undefined;
  const skip = (settings.ipsecFlags & SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION) !== 0;
  const guaranteeEncryption = (settings.securityFlags & SOCKET_SETTINGS_GUARANTEE_ENCRYPTION) !== 0;
  const base: Transform[] = qm ? [qm.protection] : ['integrity', 'encryption'];
  return {
    // Skipping filter instantiation relies on administrator policy: only realm policies count.
    protect: !skip || mm !== undefined || qm !== undefined,
    mainModeKey: mm?.key ?? FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP,
    quickModeKey: qm?.key ?? FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC,
    requireUser: mm?.authentication.includes('user') ?? false,
    proposals: guaranteeEncryption ? base.filter((t) => t === 'encryption') : base,
    lifetime: { ...DEFAULT_LIFETIME, ...(qm?.lifetime ?? {}) },
    guaranteeEncryption,
    allowInsecure: (settings.securityFlags & SOCKET_SETTINGS_ALLOW_INSECURE) !== 0,
    optionalPeerName: (settings.ipsecFlags & SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION) !== 0,
    allowFirstInboundClear:
      (settings.ipsecFlags & SOCKET_SETTINGS_IPSEC_ALLOW_FIRST_INBOUND_PKT_UNENCRYPTED) !== 0,
    rawPeerName: (settings.ipsecFlags & SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT) !== 0,
    credentials: settings.credentials,
  };
}

/** The responder's choice: the first initiator proposal it accepts, or undefined. */
export function chooseTransform(
  offered: readonly Transform[],
  accepted: readonly Transform[],
): Transform | undefined {
  return offered.find((t) => accepted.includes(t));
}
