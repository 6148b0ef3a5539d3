/**
 * What client, accepted and datagram sockets share: SOCKET creation, the query that builds a
 * `SecurityInfo` owning its tokens, and impersonation through the peer token.
 * @module
 */

import type {
  NormalizedAddress,
  NormalizedQuery,
  NormalizedSecuritySettings,
  PeerToken,
  SecurityInfo,
} from '@wsasec/core';
import {
  createSecurityInfo,
  SecureSocketError,
  SOCKET_INFO_CONNECTION_ENCRYPTED,
  SOCKET_INFO_CONNECTION_SECURED,
  SOCKET_SETTINGS_ALLOW_INSECURE,
  SOCKET_SETTINGS_GUARANTEE_ENCRYPTION,
  TOKEN_DUPLICATE,
  TOKEN_IMPERSONATE,
  TOKEN_QUERY,
  WSA_FLAG_NO_HANDLE_INHERIT,
  WSA_FLAG_OVERLAPPED,
} from '@wsasec/core';
import { WIN_AF_INET, WIN_AF_INET6 } from '../abi/address.js';
import type { TargetNameLengthUnit } from '../abi/target-name.js';
import { impersonateWithToken } from '../access/access.js';
import { peerTokenFromHandle, type TokenHandleTracker } from '../access/tokens.js';
import { querySocketSecurity } from '../library/calls.js';
import { windowsError } from '../library/errors.js';
import type { NativeLibrary } from '../library/library.js';
import type { WfpLibrary } from '../wfp/library.js';

/** What every socket of one backend shares. */
export interface NativeContext {
  readonly lib: NativeLibrary;
  readonly unit: TargetNameLengthUnit;
  readonly tokens: TokenHandleTracker;
  readonly maxQueryInfoSize: number;
  /** Query each connection after accept/connect and fail closed when its flags break the settings. */
  readonly verifyConnections: boolean;
  /** Sockets not yet closed, destroyed by `backend.close()`. */
  readonly live: Set<{ destroy(): void }>;
  /** The WFP functions SA lookups use (default: fwpuclnt.dll through koffi). */
  readonly wfp?: WfpLibrary | undefined;
}

const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/**
 * `WSASocketW(af, type, protocol, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT)`.
 * Overlapped is what libuv needs once the SOCKET is handed to Node (without it, connect hangs).
 */
export function createSocketHandle(
  lib: NativeLibrary,
  family: 'ipv4' | 'ipv6',
  type: 'stream' | 'dgram',
): number {
  const s = lib.WSASocketW(
    family === 'ipv4' ? WIN_AF_INET : WIN_AF_INET6,
    type === 'stream' ? SOCK_STREAM : SOCK_DGRAM,
    type === 'stream' ? IPPROTO_TCP : IPPROTO_UDP,
    null,
    0,
    WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT,
  );
  if (typeof s !== 'number' || s < 0) throw windowsError(lib.WSAGetLastError(), 'WSASocketW');
  return s;
}

/**
 * Why a connection must not reach the application, from the settings of its side and the flags its
 * query returns; undefined when it may. GUARANTEE_ENCRYPTION wins over ALLOW_INSECURE ("if it cannot
 * be encrypted, nothing is sent"); without ALLOW_INSECURE the stack never lets a clear-text
 * connection through, so seeing one means something is wrong: fail closed.
 */
export function admissionFailure(settings: NormalizedSecuritySettings, flags: number): string | undefined {
  if (
    settings.securityFlags & SOCKET_SETTINGS_GUARANTEE_ENCRYPTION &&
    (flags & SOCKET_INFO_CONNECTION_ENCRYPTED) === 0
  ) {
    return 'the connection is not encrypted although the settings guarantee encryption';
  }
  if (settings.securityFlags & SOCKET_SETTINGS_ALLOW_INSECURE) return undefined;
  if ((flags & SOCKET_INFO_CONNECTION_SECURED) === 0) {
    return 'the connection is not secured although the settings do not allow insecure connections';
  }
  return undefined;
}

function handleNumber(value: bigint): number {
  return value === 0n ? 0 : Number(value);
}

/**
 * `WSAQuerySocketSecurity` → `SecurityInfo`. With a token mask, `TOKEN_QUERY` is always added so
 * the tokens can be decoded; each returned handle becomes a `PeerToken` that owns it, and on any
 * failure every handle is closed before the error is thrown.
 */
export function querySecurityInfo(ctx: NativeContext, s: number, query: NormalizedQuery): SecurityInfo {
  const { lib } = ctx;
  const access = query.tokenAccess === 0 ? 0 : (query.tokenAccess | TOKEN_QUERY) >>> 0;
  const info = querySocketSecurity(lib, s, { ...query, tokenAccess: access }, ctx.maxQueryInfoSize);
  const pending = [handleNumber(info.applicationToken), handleNumber(info.machineToken)];
  const closeRaw = (h: number) => {
    if (h !== 0) ctx.tokens.adopt(lib, h).release();
  };
  if (access === 0) {
    // No tokens were asked for; never keep one that came back anyway.
    pending.forEach(closeRaw);
    pending.fill(0);
  }
  const tokens: Partial<Record<'application' | 'machine', PeerToken>> = {};
  try {
    (['application', 'machine'] as const).forEach((kind, i) => {
      const h = pending[i] as number;
      if (h === 0) return;
      pending[i] = 0;
      // peerTokenFromHandle closes the handle itself when decoding fails.
      tokens[kind] = peerTokenFromHandle(lib, ctx.tokens, h, kind, access);
    });
    if (info.protocol !== 0 && info.protocol !== 1 && info.protocol !== 2) {
      throw new SecureSocketError(
        'ERR_WSASEC_INTERNAL',
        `WSAQuerySocketSecurity returned SecurityProtocol ${info.protocol}`,
        {
          syscall: 'WSAQuerySocketSecurity',
        },
      );
    }
    return createSecurityInfo({
      protocol: info.protocol,
      flags: info.flags,
      peerApplicationToken: tokens.application,
      peerMachineToken: tokens.machine,
      ipsec2: info.ipsec2,
    });
  } catch (error) {
    pending.forEach(closeRaw);
    tokens.application?.close();
    tokens.machine?.close();
    throw error;
  }
}

/**
 * Impersonation for sockets libuv owns (overlapped, non-blocking), where `WSAImpersonateSocketPeer`
 * does not apply: the peer's token (user, else machine) from `WSAQuerySocketSecurity`, then
 * `ImpersonateLoggedOnUser` … `RevertToSelf` around `fn`; both handles closed afterwards.
 * @throws SecureSocketError WSAEINVAL when the connection carries no peer token (not secured).
 */
export function impersonatePeerOn<T>(
  ctx: NativeContext,
  s: number,
  fn: () => T,
  peer: NormalizedAddress | undefined,
): T {
  const { lib } = ctx;
  const access = TOKEN_QUERY | TOKEN_IMPERSONATE | TOKEN_DUPLICATE;
  const query: NormalizedQuery = { protocol: 0, tokenAccess: access, ...(peer ? { peerAddress: peer } : {}) };
  const info = querySocketSecurity(lib, s, query, ctx.maxQueryInfoSize);
  const app = handleNumber(info.applicationToken);
  const machine = handleNumber(info.machineToken);
  const owned = [app, machine].filter((h) => h !== 0).map((h) => ctx.tokens.adopt(lib, h));
  try {
    const chosen = app || machine;
    if (chosen === 0) {
      throw new SecureSocketError(
        'WSAEINVAL',
        'WSAImpersonateSocketPeer: the connection carries no peer token (it is not secured by IPsec), so there is no peer identity to act as',
        { syscall: 'WSAImpersonateSocketPeer' },
      );
    }
    return impersonateWithToken(lib, chosen, fn);
  } finally {
    for (const o of owned) o.release();
  }
}
