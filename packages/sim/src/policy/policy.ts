/**
 * The policy store (what WFP/IKEEXT hold on Windows): the built-in secure-socket defaults, realm
 * policies keyed by GUID, and the effective policy of one socket.
 * @module
 */
import {
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP,
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC,
  type MainModePolicyDescription,
  type NormalizedSecuritySettings,
  normalizePolicyDescription,
  type PolicyDescription,
  type PolicyLifetime,
  type QuickModePolicyDescription,
  SecureSocketError,
  SOCKET_SETTINGS_ALLOW_INSECURE,
  SOCKET_SETTINGS_GUARANTEE_ENCRYPTION,
  SOCKET_SETTINGS_IPSEC_ALLOW_FIRST_INBOUND_PKT_UNENCRYPTED,
  SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION,
  SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT,
  SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION,
} from '@wsasec/core';

/** A quick-mode transform: ESP with AES-256-GMAC (integrity only) or AES-256-GCM (encryption). */
export type Transform = 'integrity' | 'encryption';

/** QM SA lifetime; the sender rekeys its outbound SA when either is reached (fractions of seconds allowed). */
export type Lifetime = PolicyLifetime;

/** An AuthIP quick-mode policy (`FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT`); `default: true` makes it the realm's administrator policy (at most one per mode). */
export type QuickModePolicy = QuickModePolicyDescription;

/** An AuthIP main-mode policy (`FWPM_IPSEC_AUTHIP_MM_CONTEXT`); `default: true` as for quick mode. */
export type MainModePolicy = MainModePolicyDescription;

/** A realm policy, as given to `realm.addPolicy()`. */
export type SimPolicy = PolicyDescription;

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

/**
 * Validates a policy for `realm.addPolicy()` and returns a frozen copy with a lower-case key (the
 * rules every backend shares: `normalizePolicyDescription` of core).
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` naming what is accepted.
 */
export function checkPolicy(value: unknown): SimPolicy {
  return normalizePolicyDescription(value, 'addPolicy');
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
