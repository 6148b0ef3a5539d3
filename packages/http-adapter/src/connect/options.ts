import { createHmac } from 'node:crypto';
import {
  type NormalizedPeerTargetName,
  type NormalizedSecuritySettings,
  normalizePeerTargetName,
  normalizeSecuritySettings,
  type PeerTargetName,
  type SecureSocketBackend,
  SecureSocketError,
  type SecuritySettings,
  SOCKET_SETTINGS_ALLOW_INSECURE,
} from '@wsasec/core';

/**
 * The principal the server must prove to be: an SPN string (`host/server.contoso.com`), a
 * `PeerTargetName`, or a function of the host and port being connected to that returns either.
 * The function is called for every pool lookup, so it must be pure and cheap.
 */
export type PeerTargetNameOption =
  | string
  | PeerTargetName
  | ((host: string, port: number) => string | PeerTargetName);

/** Settings shared by every client-side entry point (`SecureAgent`, `createSecureDispatcher`). */
export interface SecureClientOptions {
  /** The backend that creates and secures sockets (`createSimBackend(…)`, `loadBackend()`, …). */
  backend: SecureSocketBackend;
  /** `WSASetSocketSecurity` settings for every connection; absent means the default policy. */
  security?: SecuritySettings;
  /** `WSASetSocketPeerTargetName`: default `host/<hostname>` of the URL being requested. */
  peerTargetName?: PeerTargetNameOption;
  /** Connect timeout in milliseconds, IPsec negotiation included (default: the backend's bound). */
  connectTimeout?: number;
}

/** A validated security policy and its pool-key fragment. */
export interface ResolvedPolicy {
  /** The settings exactly as given, passed on to the backend. */
  readonly security: SecuritySettings | undefined;
  readonly normalized: NormalizedSecuritySettings;
  readonly allowInsecure: boolean;
  /** Every security-relevant field; the password only as a keyed digest. */
  readonly key: string;
}

export function invalidArgument(message: string, syscall: string): SecureSocketError {
  return new SecureSocketError('ERR_WSASEC_INVALID_ARGUMENT', message, { syscall });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks that `value` is a wsasec backend.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT`.
 */
export function checkBackend(value: unknown, where: string): SecureSocketBackend {
  const backend = value as Partial<SecureSocketBackend> | undefined;
  if (
    !isObject(backend) ||
    backend.specificationVersion !== 'v1' ||
    typeof backend.connect !== 'function' ||
    typeof backend.createServer !== 'function' ||
    typeof backend.accessCheck !== 'function'
  ) {
    throw invalidArgument(
      `${where}: backend must be a wsasec SecureSocketBackend (specificationVersion 'v1'), e.g. createSimBackend(…) from @wsasec/sim or await loadBackend() from @wsasec/core`,
      where,
    );
  }
  return backend as SecureSocketBackend;
}

/**
 * Validates settings and computes their pool-key fragment. The password never enters the key: a
 * keyed digest of it does (HMAC-SHA256 under a per-pool random secret), so a request carrying a
 * different password for the same user never rides on a connection the right password opened.
 * @throws SecureSocketError `WSAEINVAL`, `WSAEMSGSIZE` (from core's validation).
 */
export function resolvePolicy(security: unknown, secret: Buffer, syscall: string): ResolvedPolicy {
  const normalized = normalizeSecuritySettings(security, syscall);
  const credentials = normalized.credentials
    ? [
        normalized.credentials.domain ?? null,
        normalized.credentials.user,
        createHmac('sha256', secret).update(normalized.credentials.password).digest('base64url').slice(0, 22),
      ]
    : null;
  const key = JSON.stringify([
    normalized.structure,
    normalized.protocol,
    normalized.securityFlags,
    normalized.ipsecFlags,
    normalized.mainModePolicyKey ?? null,
    normalized.quickModePolicyKey ?? null,
    credentials,
  ]);
  return {
    security: security as SecuritySettings | undefined,
    normalized,
    allowInsecure: (normalized.securityFlags & SOCKET_SETTINGS_ALLOW_INSECURE) !== 0,
    key,
  };
}

/**
 * Checks the `peerTargetName` option: strings and objects are validated at once, functions when
 * called.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (wrong type), `WSAEINVAL`, `WSAEMSGSIZE`.
 */
export function checkTargetOption(
  value: unknown,
  protocol: 0 | 1 | 2,
  where: string,
): PeerTargetNameOption | undefined {
  if (value === undefined || typeof value === 'function') return value as PeerTargetNameOption | undefined;
  if (typeof value === 'string' || isObject(value)) {
    normalizePeerTargetName(value, protocol, 'WSASetSocketPeerTargetName');
    return value as string | PeerTargetName;
  }
  throw invalidArgument(
    `${where}: peerTargetName must be a string like "host/server.contoso.com", a { name, protocol? } object, or a function (host, port) => name`,
    where,
  );
}

/**
 * The target name for one connection: the option (called with host and port when it is a
 * function) or, by default, `host/<hostname>`.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (a function returned neither a string nor
 *   an object), `WSAEINVAL`, `WSAEMSGSIZE`.
 */
export function resolveTarget(
  option: PeerTargetNameOption | undefined,
  host: string,
  port: number,
  protocol: 0 | 1 | 2,
): { value: string | PeerTargetName; normalized: NormalizedPeerTargetName } {
  let value: unknown;
  if (option === undefined) value = `host/${host}`;
  else if (typeof option === 'function') {
    value = option(host, port);
    if (typeof value !== 'string' && !isObject(value)) {
      throw invalidArgument(
        `the peerTargetName function returned ${value === null ? 'null' : typeof value} for ${host}:${port}; it must return a target name string or a { name } object`,
        'WSASetSocketPeerTargetName',
      );
    }
  } else value = option;
  const normalized = normalizePeerTargetName(value, protocol, 'WSASetSocketPeerTargetName');
  return { value: value as string | PeerTargetName, normalized };
}

/** The pool-key fragment of a target name. */
export function targetKey(target: NormalizedPeerTargetName): string {
  const peer = target.peerAddress;
  return JSON.stringify([target.name, target.protocol, peer ? `${peer.address}|${peer.port}` : null]);
}

/**
 * Checks an optional timeout in milliseconds.
 * @throws SecureSocketError `WSAEINVAL`.
 */
export function checkTimeout(value: unknown, field: string, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > 2_147_483_647) {
    throw new SecureSocketError(
      'WSAEINVAL',
      `${where}: ${field} must be a positive integer number of milliseconds, got ${typeof value === 'number' ? value : typeof value}`,
      { syscall: where },
    );
  }
  return value;
}

/** The {@link SecureClientOptions} every client entry point takes, validated once. */
export interface ParsedClientOptions {
  readonly backend: SecureSocketBackend;
  readonly policy: ResolvedPolicy;
  /** The `peerTargetName` option, checked (a function is checked when called). */
  readonly target: PeerTargetNameOption | undefined;
  /** `connectTimeout` in milliseconds, or undefined for the backend's bound. */
  readonly connectTimeout: number | undefined;
}

/**
 * Validates the secure-socket options every client entry point shares (`backend`, `security`,
 * `peerTargetName`, `connectTimeout`), errors naming the caller `where`. `secret` keys the
 * password's digest in the pool key.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (no backend, wrong option types),
 *   `WSAEINVAL`/`WSAEMSGSIZE` (bad settings, target name or timeout).
 */
export function parseClientOptions(
  options: Pick<SecureClientOptions, 'backend' | 'security' | 'peerTargetName' | 'connectTimeout'>,
  secret: Buffer,
  where: string,
): ParsedClientOptions {
  const backend = checkBackend(options.backend, where);
  const policy = resolvePolicy(options.security, secret, 'WSASetSocketSecurity');
  const target = checkTargetOption(options.peerTargetName, policy.normalized.protocol, where);
  const connectTimeout = checkTimeout(options.connectTimeout, 'connectTimeout', where);
  return { backend, policy, target, connectTimeout };
}
