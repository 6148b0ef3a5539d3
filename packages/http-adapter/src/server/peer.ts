import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type SecureSocket,
  type SecureSocketBackend,
  SecureSocketError,
  type SecurityInfo,
  TOKEN_QUERY,
} from '@wsasec/core';

/** What the server knows of one accepted connection. */
export interface ConnectionEntry {
  readonly secure: SecureSocket;
  readonly backend: SecureSocketBackend;
  info: SecurityInfo | undefined;
  view: SecurityInfo | undefined;
}

const connections = new WeakMap<object, ConnectionEntry>();

/**
 * Records an accepted connection under every stream http may see for it (the secured socket, and
 * the TLS socket over it), and closes the cached query result — and so its tokens — with it.
 */
export function registerConnection(
  secure: SecureSocket,
  backend: SecureSocketBackend,
  outer?: Duplex,
): ConnectionEntry {
  const entry: ConnectionEntry = { secure, backend, info: undefined, view: undefined };
  connections.set(secure, entry);
  if (outer) connections.set(outer, entry);
  secure.once('close', () => {
    entry.info?.close();
  });
  return entry;
}

/**
 * The connection entry behind a request.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` for a request that did not come through
 *   `createSecureServer`.
 */
export function connectionOf(req: IncomingMessage, syscall: string): ConnectionEntry {
  const socket = (req as { socket?: unknown } | null | undefined)?.socket;
  const entry = typeof socket === 'object' && socket !== null ? connections.get(socket) : undefined;
  if (!entry) {
    throw new SecureSocketError(
      'ERR_WSASEC_INVALID_ARGUMENT',
      `${syscall} needs a request received by a server from createSecureServer (its socket is not a secured connection)`,
      { syscall },
    );
  }
  return entry;
}

/**
 * Mirrors `WSAQuerySocketSecurity` with `PeerTokenAccessMask = TOKEN_QUERY` for the connection a
 * request arrived on: secured/encrypted flags and the peer's application (user) and machine tokens.
 * Queried once per connection and cached; the connection owns the result and closes it (and its
 * tokens) when it closes, so callers must not close it — `close()` on the returned object does
 * nothing.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (not from createSecureServer),
 *   `WSAENOTSOCK` (the connection is already closed), `WSAECONNRESET`.
 */
export function getPeerSecurity(req: IncomingMessage): SecurityInfo {
  const entry = connectionOf(req, 'getPeerSecurity');
  if (entry.view) return entry.view;
  if (entry.secure.destroyed) {
    throw new SecureSocketError('WSAENOTSOCK', 'getPeerSecurity: the connection is already closed', {
      syscall: 'WSAQuerySocketSecurity',
    });
  }
  const info = entry.secure.querySecurity({ tokenAccess: TOKEN_QUERY });
  entry.info = info;
  entry.view = Object.freeze({
    ...info,
    close() {},
    [Symbol.dispose]() {},
  });
  return entry.view;
}

/**
 * Mirrors `WSAImpersonateSocketPeer` … `WSARevertImpersonation` for the peer of a request: runs
 * `fn` synchronously as the peer user (else the peer machine) and always reverts. `fn` must not
 * return a promise: impersonation never outlives a synchronous scope.
 * @throws SecureSocketError `ERR_WSASEC_ASYNC_IMPERSONATION` (fn returned a promise; reverted
 *   first), `ERR_WSASEC_INVALID_ARGUMENT` (not from createSecureServer, or fn not a function),
 *   `WSAENOTSOCK` (connection closed).
 */
export function impersonateRequestPeer<T>(req: IncomingMessage, fn: () => T): T {
  const entry = connectionOf(req, 'impersonateRequestPeer');
  return entry.secure.impersonatePeer(fn);
}
