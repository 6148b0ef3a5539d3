import type { Principal, SecurityInfo } from '@wsasec/core';

/** What a client saw of one secured connection, copied out of a `SecurityInfo` before it is closed. */
export interface SecuritySnapshot {
  /** Protocol that secured the connection. */
  protocol: SecurityInfo['protocol'];
  /** `SOCKET_INFO_CONNECTION_SECURED`. */
  secured: boolean;
  /** `SOCKET_INFO_CONNECTION_ENCRYPTED`. */
  encrypted: boolean;
  /** Main-mode SA id (IPSEC2 query). */
  mmSaId: bigint | undefined;
  /** Quick-mode SA id (IPSEC2 query). */
  qmSaId: bigint | undefined;
  /** The peer computer, from the peer machine token. */
  peerMachine: Principal | undefined;
  /** The peer user, from the peer application token (only when a user was authenticated). */
  peerUser: Principal | undefined;
}

/**
 * Copies what a report needs out of a `WSAQuerySocketSecurity` result. Does not close `info`.
 */
export function snapshotSecurity(info: SecurityInfo): SecuritySnapshot {
  return {
    protocol: info.protocol,
    secured: info.secured,
    encrypted: info.encrypted,
    mmSaId: info.mmSaId,
    qmSaId: info.qmSaId,
    peerMachine: info.peerMachineToken ? { ...info.peerMachineToken.user } : undefined,
    peerUser: info.peerApplicationToken ? { ...info.peerApplicationToken.user } : undefined,
  };
}

/** `DOMAIN\name` when the account name is known, else the SID. */
export function formatPrincipal(principal: Principal | undefined): string {
  if (!principal) return '(none)';
  if (!principal.name) return principal.sid;
  return principal.domain ? `${principal.domain}\\${principal.name}` : principal.name;
}

/** An SA id as fixed-width hex (`0x00000000000004d2`), or `(none)`. */
export function formatSaId(id: bigint | undefined): string {
  return id === undefined ? '(none)' : `0x${id.toString(16).padStart(16, '0')}`;
}

/** `secured and encrypted`, `secured, integrity only` or `not secured (clear text)`. */
export function formatProtection(snapshot: Pick<SecuritySnapshot, 'secured' | 'encrypted'>): string {
  if (!snapshot.secured) return 'not secured (clear text)';
  return snapshot.encrypted ? 'secured and encrypted' : 'secured, integrity only (not encrypted)';
}

/** The error code of anything thrown (`ERR_WSASEC_…`, `WSAE…`, `ECONNRESET`), else its name. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : typeof error;
}
