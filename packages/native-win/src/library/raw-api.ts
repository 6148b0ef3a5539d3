/**
 * The six functions on a SOCKET the application owns (for example a blocking, non-overlapped
 * SOCKET from another native library), where `WSAImpersonateSocketPeer` is the right tool. Inputs
 * are validated by core's normalizers, exactly as for `SecureSocket` methods.
 * @module
 */
import type {
  PeerTargetName,
  QueryOptions,
  SecurityInfo,
  SecuritySettings,
  SocketAddress,
} from '@wsasec/core';
import {
  normalizeAddress,
  normalizePeerTargetName,
  normalizeQuery,
  normalizeSecuritySettings,
  runImpersonated,
  SecureSocketError,
} from '@wsasec/core';
import type { TargetNameLengthUnit } from '../abi/target-name.js';
import { TokenHandleTracker } from '../access/tokens.js';
import { type NativeContext, querySecurityInfo } from '../socket/socket-ops.js';
import {
  deleteSocketPeerTargetName,
  impersonateSocketPeer,
  MAX_QUERY_INFO_SIZE,
  revertImpersonation,
  setSocketPeerTargetName,
  setSocketSecurity,
} from './calls.js';
import { createKoffiLibrary } from './koffi-library.js';
import type { NativeLibrary } from './library.js';

/** The C API on application-owned SOCKETs. Every method throws `SecureSocketError`. */
export interface WinsockSecureApi {
  /** `WSASetSocketSecurity`: before connect (clients) or bind (servers), once. */
  setSocketSecurity(socket: number, settings?: SecuritySettings): void;
  /** `WSASetSocketPeerTargetName`. `protocol` defaults to DEFAULT (0). */
  setSocketPeerTargetName(socket: number, target: string | PeerTargetName): void;
  /** `WSADeleteSocketPeerTargetName`. */
  deleteSocketPeerTargetName(socket: number, peer: SocketAddress): void;
  /** `WSAQuerySocketSecurity`; the result owns its tokens (close it). */
  querySocketSecurity(socket: number, query?: QueryOptions): SecurityInfo;
  /**
   * `WSAImpersonateSocketPeer` … `WSARevertImpersonation` around `fn`, synchronously. Only for
   * blocking, non-overlapped sockets (the documented limit of the function).
   */
  impersonateSocketPeer<T>(socket: number, fn: () => T, peer?: SocketAddress): T;
  /** `WSARevertImpersonation`. */
  revertImpersonation(): void;
}

/** Options of {@link createWinsockSecureApi}. */
export interface WinsockSecureApiOptions {
  /** The Windows functions (default: the real DLLs through koffi; Windows only). */
  library?: NativeLibrary;
  /** See `NativeBackendOptions.targetNameLengthUnit`. */
  targetNameLengthUnit?: TargetNameLengthUnit;
}

function checkSocket(socket: unknown, syscall: string): number {
  if (typeof socket !== 'number' || !Number.isSafeInteger(socket) || socket < 0) {
    throw new SecureSocketError(
      'WSAENOTSOCK',
      `${syscall}: socket must be a SOCKET number (a non-negative integer)`,
      {
        syscall,
      },
    );
  }
  return socket;
}

/**
 * The six secure socket functions for SOCKETs the application created and owns.
 * @throws SecureSocketError ERR_WSASEC_UNSUPPORTED_PLATFORM off Windows without `library`.
 */
export function createWinsockSecureApi(opts: WinsockSecureApiOptions = {}): WinsockSecureApi {
  if (!opts.library && process.platform !== 'win32') {
    throw new SecureSocketError(
      'ERR_WSASEC_UNSUPPORTED_PLATFORM',
      `the Winsock Secure Socket Extensions need Windows; this is ${process.platform}`,
    );
  }
  const lib = opts.library ?? createKoffiLibrary();
  const ctx: NativeContext = {
    lib,
    unit: opts.targetNameLengthUnit ?? 'auto',
    tokens: new TokenHandleTracker(),
    maxQueryInfoSize: MAX_QUERY_INFO_SIZE,
    verifyConnections: true,
    live: new Set(),
  };
  return {
    setSocketSecurity(socket, settings) {
      const s = checkSocket(socket, 'WSASetSocketSecurity');
      setSocketSecurity(lib, s, normalizeSecuritySettings(settings));
    },
    setSocketPeerTargetName(socket, target) {
      const s = checkSocket(socket, 'WSASetSocketPeerTargetName');
      setSocketPeerTargetName(lib, s, normalizePeerTargetName(target, 0), ctx.unit);
    },
    deleteSocketPeerTargetName(socket, peer) {
      const syscall = 'WSADeleteSocketPeerTargetName';
      deleteSocketPeerTargetName(lib, checkSocket(socket, syscall), normalizeAddress(peer, 'peer', syscall));
    },
    querySocketSecurity(socket, query) {
      const s = checkSocket(socket, 'WSAQuerySocketSecurity');
      return querySecurityInfo(ctx, s, normalizeQuery(query, 0));
    },
    impersonateSocketPeer(socket, fn, peer) {
      const syscall = 'WSAImpersonateSocketPeer';
      const s = checkSocket(socket, syscall);
      if (typeof fn !== 'function') {
        throw new SecureSocketError(
          'ERR_WSASEC_INVALID_ARGUMENT',
          'impersonateSocketPeer needs a synchronous function',
          {
            syscall,
          },
        );
      }
      const address = peer === undefined ? undefined : normalizeAddress(peer, 'peer', syscall);
      return runImpersonated(() => {
        impersonateSocketPeer(lib, s, address);
        return () => revertImpersonation(lib);
      }, fn);
    },
    revertImpersonation() {
      revertImpersonation(lib);
    },
  };
}
