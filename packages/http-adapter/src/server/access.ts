import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_SDDL_LENGTH, normalizeAccessMask, type PeerToken, SecureSocketError } from '@wsasec/core';
import { channels, debug } from '../connect/observe.js';
import { isObject } from '../connect/options.js';
import { connectionOf, getPeerSecurity } from './peer.js';

/** Options of {@link requirePeerAccess}. */
export interface RequirePeerAccessOptions {
  /** Security descriptor in SDDL whose DACL decides, e.g. `D:(A;;GR;;;S-1-5-21-…-1105)`. */
  sddl: string;
  /** The access mask the peer must be granted (e.g. `FILE_GENERIC_READ`, `GENERIC_READ`). */
  access: number;
  /**
   * Which peer token is checked: `'application'` (the peer user), `'machine'` (the peer computer),
   * or by default the user when one was authenticated, else the machine — the same choice
   * `WSAImpersonateSocketPeer` makes.
   */
  token?: 'application' | 'machine';
}

/** An Express-compatible middleware; returns true when the request may proceed. */
export type PeerAccessMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => boolean;

/**
 * Authorizes each request by the peer's Windows identity: `AccessCheck` of the peer token against
 * an SDDL security descriptor. Answers 401 when the connection is not secured (no authenticated
 * peer: only possible when the server's settings allow insecure connections) and 403 when the
 * check fails — with a fixed body that says nothing of the descriptor, the peer or the reason.
 * Otherwise calls `next()` (Express) and returns true, so it also works in a plain handler:
 * `if (!guard(req, res)) return;`. A malformed descriptor is a server error: passed to `next(error)`,
 * or answered 500 without detail when there is no `next`.
 * @throws SecureSocketError `WSAEINVAL` (empty or over-long `sddl`, zero or non-integer `access`),
 *   `ERR_WSASEC_INVALID_ARGUMENT` (options not an object, unknown `token`).
 */
export function requirePeerAccess(options: RequirePeerAccessOptions): PeerAccessMiddleware {
  const syscall = 'AccessCheck';
  if (!isObject(options)) {
    throw new SecureSocketError('ERR_WSASEC_INVALID_ARGUMENT', 'requirePeerAccess needs { sddl, access }', {
      syscall,
    });
  }
  const { sddl, access, token } = options;
  if (typeof sddl !== 'string' || sddl.length === 0 || sddl.length > MAX_SDDL_LENGTH) {
    throw new SecureSocketError(
      'WSAEINVAL',
      `requirePeerAccess: sddl must be an SDDL security descriptor string (1–${MAX_SDDL_LENGTH} characters), e.g. "D:(A;;GR;;;AU)"`,
      { syscall },
    );
  }
  const mask = normalizeAccessMask(access, 'requirePeerAccess: access', syscall, false);
  if (token !== undefined && token !== 'application' && token !== 'machine') {
    throw new SecureSocketError(
      'ERR_WSASEC_INVALID_ARGUMENT',
      "requirePeerAccess: token must be 'application' or 'machine' (or absent for the user, else the machine)",
      { syscall },
    );
  }

  return function peerAccess(req, res, next) {
    let peerToken: PeerToken | undefined;
    let backend: ReturnType<typeof connectionOf>['backend'];
    try {
      backend = connectionOf(req, 'requirePeerAccess').backend;
      const info = getPeerSecurity(req);
      if (!info.secured) return deny(res, 401, 'unsecured', mask);
      peerToken =
        token === 'machine'
          ? info.peerMachineToken
          : token === 'application'
            ? info.peerApplicationToken
            : (info.peerApplicationToken ?? info.peerMachineToken);
      if (!peerToken) return deny(res, 403, 'no-token', mask);
      const result = backend.accessCheck(peerToken, sddl, mask);
      if (!result.granted) return deny(res, 403, 'denied', mask, peerToken.user.sid);
    } catch (error) {
      debug('requirePeerAccess failed: %s', (error as { code?: string }).code);
      if (next) next(error);
      else if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        res.end('Internal Server Error');
      }
      return false;
    }
    next?.();
    return true;
  };
}

function deny(
  res: ServerResponse,
  status: 401 | 403,
  reason: 'unsecured' | 'no-token' | 'denied',
  access: number,
  sid?: string,
): false {
  if (channels.accessDenied.hasSubscribers) {
    channels.accessDenied.publish({ status, reason, access, ...(sid ? { sid } : {}) });
  }
  debug('access %s: %d (%s)', reason, status, sid ?? '-');
  if (!res.headersSent) {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(status === 401 ? 'Unauthorized' : 'Forbidden');
  }
  return false;
}
