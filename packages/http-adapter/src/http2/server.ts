import * as http2 from 'node:http2';
import {
  normalizeSecuritySettings,
  type SecureSocket,
  type SecureSocketBackend,
  type SecuritySettings,
} from '@wsasec/core';
import { debug } from '../connect/observe.js';
import { checkBackend, invalidArgument, isObject } from '../connect/options.js';
import { type RequirePeerAccessOptions, requirePeerAccess } from '../server/access.js';
import { checkFamily, installSecureListener } from '../server/listener.js';
import { type ConnectionEntry, registerAlias, registerConnection } from '../server/peer.js';
import { prepareForHttp2 } from './shutdown.js';

/**
 * Options of {@link createSecureHttp2Server}: the secure-socket settings of `createSecureServer`
 * plus every `http2.ServerOptions`.
 */
export interface SecureHttp2ServerOptions extends http2.ServerOptions {
  /** The backend that listens and secures every accepted connection. */
  backend: SecureSocketBackend;
  /** `WSASetSocketSecurity` settings of the listening socket (inherited by accepted connections). */
  security?: SecuritySettings;
  /** Address family of the listening socket (default: from the listen host, else `'ipv4'`). */
  family?: 'ipv4' | 'ipv6';
  /**
   * An access check run on every stream before `'stream'` and `'request'` listeners see it (the
   * options of `requirePeerAccess`). A refused stream is answered **403** (`Forbidden`), **401**
   * when the connection is not secured, and never reaches the handler.
   */
  access?: RequirePeerAccessOptions;
}

/** The `'request'` listener of {@link createSecureHttp2Server}, as `http2.createServer` takes it. */
export type SecureHttp2RequestListener = (
  request: http2.Http2ServerRequest,
  response: http2.Http2ServerResponse,
) => void;

interface ServerState {
  readonly backend: SecureSocketBackend;
  readonly security: SecuritySettings | undefined;
  readonly family: 'ipv4' | 'ipv6' | undefined;
  /** The connection being handed to http2 (its `'session'` is emitted synchronously). */
  handing: ConnectionEntry | undefined;
  readonly sessions: Set<http2.ServerHttp2Session>;
}

/**
 * An `http2.Http2Server` speaking h2c (HTTP/2 with prior knowledge, no TLS) over connections
 * secured by the backend: it listens through `backend.createServer` and hands every accepted,
 * negotiated connection to http2. It never binds a plain TCP port. `'session'`, `'stream'`,
 * `'request'` (the compatibility API), `'sessionError'`, timeouts and settings are http2's own;
 * `getPeerSecurity` and `impersonateRequestPeer` take the session, any of its streams or an
 * `Http2ServerRequest`. The `listener` is a `'request'` listener, as for `http2.createServer`.
 *
 * Differences from `http2.createServer`: `listen()` binds `127.0.0.1` (or `::1`) when no host is
 * given; paths and handles cannot be listened on; `close()` stops accepting and closes every session
 * gracefully (GOAWAY; open streams finish), then emits `'close'` once every connection has closed.
 * Incoming connections that fail negotiation never reach http2; they are reported as
 * `'negotiationError'` events.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (no backend, listener not a function,
 *   bad `access` options), `WSAEINVAL`/`WSAEMSGSIZE` (bad settings or access options),
 *   `WSAEAFNOSUPPORT` (bad family).
 */
export function createSecureHttp2Server(
  options: SecureHttp2ServerOptions,
  listener?: SecureHttp2RequestListener,
): http2.Http2Server {
  const where = 'createSecureHttp2Server';
  if (!isObject(options)) throw invalidArgument(`${where} needs { backend, security?, access?, … }`, where);
  const { backend, security, family, access, ...h2Options } = options;
  const state: ServerState = {
    backend: checkBackend(backend, where),
    security,
    family: checkFamily(family, where),
    handing: undefined,
    sessions: new Set(),
  };
  normalizeSecuritySettings(security, 'WSASetSocketSecurity');
  if (listener !== undefined && typeof listener !== 'function') {
    throw invalidArgument(`${where}: the request listener must be a function`, where);
  }
  if ((h2Options as { createConnection?: unknown }).createConnection !== undefined) {
    throw invalidArgument(
      `${where}: connections come from the backend; createConnection is not accepted`,
      where,
    );
  }
  const guard = access === undefined ? undefined : requirePeerAccess(access);
  const server = listener ? http2.createServer(h2Options, listener) : http2.createServer(h2Options);

  server.on('session', (session: http2.ServerHttp2Session) => {
    if (state.handing) registerAlias(session, state.handing);
    state.sessions.add(session);
    session.once('close', () => state.sessions.delete(session));
  });
  if (guard) {
    // http2 emits each new stream on the server, and the compatibility API's 'request' comes from
    // a 'stream' listener: a stream refused here reaches neither.
    const emit = server.emit;
    Object.defineProperty(server, 'emit', {
      value: function emitChecked(this: http2.Http2Server, event: string | symbol, ...args: unknown[]) {
        if (event === 'stream' && !allowStream(args[0] as http2.ServerHttp2Stream)) return true;
        return emit.call(this, event, ...args);
      },
      configurable: true,
      writable: true,
    });
  }
  installSecureListener(server, {
    backend: state.backend,
    security,
    family: state.family,
    onConnection,
    beforeClose: () => {
      for (const session of state.sessions) session.close();
    },
  });
  return server;

  function allowStream(stream: http2.ServerHttp2Stream): boolean {
    if (!guard) return true;
    const response = {
      get headersSent() {
        return stream.headersSent;
      },
      writeHead(status: number, headers: Record<string, string>) {
        if (!stream.destroyed) stream.respond({ ':status': status, ...headers });
        return response;
      },
      end(body: string) {
        if (!stream.destroyed) stream.end(body);
      },
    };
    const allowed = guard(stream as never, response as never);
    if (!allowed) debug('http2 stream %d refused by the access check', stream.id);
    return allowed;
  }

  function onConnection(secure: SecureSocket) {
    const entry = registerConnection(secure, state.backend);
    state.handing = entry;
    prepareForHttp2(secure);
    try {
      server.emit('connection', secure);
    } finally {
      state.handing = undefined;
    }
  }
}
