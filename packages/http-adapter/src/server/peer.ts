import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest, Http2Session, Http2Stream } from 'node:http2';
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

/**
 * What the peer helpers accept: an HTTP/1 request from `createSecureServer`, or from
 * `createSecureHttp2Server` an `Http2ServerRequest`, a stream or the session itself.
 */
export type PeerSource = IncomingMessage | Http2ServerRequest | Http2Stream | Http2Session;

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
 * Records another object that stands for an accepted connection — an HTTP/2 session, whose
 * `socket` is a proxy Node puts in front of the secured socket.
 */
export function registerAlias(alias: object, entry: ConnectionEntry): void {
  connections.set(alias, entry);
}

/** The entry of the secured socket under `socket`, when it is one of ours. */
export function entryOfSocket(socket: unknown): ConnectionEntry | undefined {
  return typeof socket === 'object' && socket !== null ? connections.get(socket) : undefined;
}

/**
 * The connection entry behind a request, an HTTP/2 stream or an HTTP/2 session.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` for anything that did not come through
 *   `createSecureServer` or `createSecureHttp2Server`.
 */
export function connectionOf(source: PeerSource, syscall: string): ConnectionEntry {
  const entry = findEntry(source);
  if (!entry) {
    throw new SecureSocketError(
      'ERR_WSASEC_INVALID_ARGUMENT',
      `${syscall} needs a request from createSecureServer, or an Http2ServerRequest, Http2Stream or Http2Session from createSecureHttp2Server (this one is not on a secured connection)`,
      { syscall },
    );
  }
  return entry;
}

function findEntry(source: unknown): ConnectionEntry | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const value = source as { socket?: unknown; session?: unknown; stream?: unknown };
  // An HTTP/1 request: its socket. An HTTP/2 session: itself (its socket is Node's proxy).
  // A stream: its session. An Http2ServerRequest: its stream's session.
  return (
    entryOfSocket(value.socket) ??
    connections.get(source) ??
    entryOfSocket(value.session) ??
    entryOfSocket((value.stream as { session?: unknown } | null | undefined)?.session)
  );
}

/**
 * Mirrors `WSAQuerySocketSecurity` with `PeerTokenAccessMask = TOKEN_QUERY` for the connection a
 * request (HTTP/1, or an HTTP/2 request, stream or session) arrived on: secured/encrypted flags and the peer's application (user) and machine tokens.
 * Queried once per connection and cached; the connection owns the result and closes it (and its
 * tokens) when it closes, so callers must not close it — `close()` on the returned object does
 * nothing.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (not from createSecureServer or
 *   createSecureHttp2Server), `WSAENOTSOCK` (the connection is already closed), `WSAECONNRESET`.
 */
export function getPeerSecurity(req: PeerSource): SecurityInfo {
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
export function impersonateRequestPeer<T>(req: PeerSource, fn: () => T): T {
  const entry = connectionOf(req, 'impersonateRequestPeer');
  return entry.secure.impersonatePeer(fn);
}
