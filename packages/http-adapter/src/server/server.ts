import * as http from 'node:http';
import * as tls from 'node:tls';
import {
  normalizeSecuritySettings,
  type SecureSocket,
  type SecureSocketBackend,
  type SecuritySettings,
} from '@wsasec/core';
import { delegateAddresses } from '../connect/connect.js';
import { checkBackend, invalidArgument, isObject } from '../connect/options.js';
import { checkFamily, installSecureListener } from './listener.js';
import { registerConnection } from './peer.js';

/** Options of {@link createSecureServer}: the secure-socket settings plus every `http.ServerOptions`. */
export interface SecureServerOptions extends http.ServerOptions {
  /** The backend that listens and secures every accepted connection. */
  backend: SecureSocketBackend;
  /** `WSASetSocketSecurity` settings of the listening socket (inherited by accepted connections). */
  security?: SecuritySettings;
  /** Address family of the listening socket (default: from the listen host, else `'ipv4'`). */
  family?: 'ipv4' | 'ipv6';
  /** Layer TLS on each secured connection (HTTPS over IPsec): `tls.createSecureContext` options plus `requestCert`/`rejectUnauthorized`. */
  tls?: tls.TlsOptions;
}

interface ServerState {
  readonly backend: SecureSocketBackend;
  readonly security: SecuritySettings | undefined;
  readonly family: 'ipv4' | 'ipv6' | undefined;
  readonly tls: { context: tls.SecureContext; options: tls.TlsOptions } | undefined;
}

/**
 * An `http.Server` whose connections are secured by the backend: it listens through
 * `backend.createServer` (the listening socket is secured before bind) and hands every accepted,
 * negotiated connection to http. It never binds a plain TCP port. Keep-alive, pipelining, timeouts,
 * `close()`, `closeIdleConnections()` and `closeAllConnections()` are http's own.
 *
 * Differences from `http.createServer`: `listen()` binds `127.0.0.1` (or `::1`) when no host is
 * given, not every interface; paths and handles cannot be listened on. Incoming connections that
 * fail negotiation never reach http; they are reported as `'negotiationError'` events.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (no backend, listener not a function),
 *   `WSAEINVAL`/`WSAEMSGSIZE` (bad settings).
 */
export function createSecureServer(
  options: SecureServerOptions,
  listener?: http.RequestListener,
): http.Server {
  const where = 'createSecureServer';
  if (!isObject(options)) throw invalidArgument(`${where} needs { backend, security?, … }`, where);
  const { backend, security, family, tls: tlsOptions, ...httpOptions } = options;
  const state: ServerState = {
    backend: checkBackend(backend, where),
    security,
    family: checkFamily(family, where),
    tls: tlsOptions === undefined ? undefined : makeTls(tlsOptions, where),
  };
  normalizeSecuritySettings(security, 'WSASetSocketSecurity');
  if (listener !== undefined && typeof listener !== 'function') {
    throw invalidArgument(`${where}: the request listener must be a function`, where);
  }
  const server = http.createServer(httpOptions, listener);
  return installSecureListener(server, {
    backend: state.backend,
    security,
    family: state.family,
    onConnection,
    // What http.Server.close does before closing its handle: idle keep-alive connections go now,
    // busy ones when their response is done; and the connection-checking timer stops.
    beforeClose: () => {
      server.closeIdleConnections();
      stopConnectionsChecking(server);
    },
  });

  function onConnection(secure: SecureSocket) {
    if (!state.tls) {
      registerConnection(secure, state.backend);
      server.emit('connection', secure);
      return;
    }
    const { context, options } = state.tls;
    const socket = new tls.TLSSocket(secure, {
      isServer: true,
      secureContext: context,
      requestCert: options.requestCert ?? false,
      rejectUnauthorized: options.rejectUnauthorized ?? true,
      ALPNProtocols: ['http/1.1'],
    });
    delegateAddresses(socket, secure);
    registerConnection(secure, state.backend, socket);
    socket.on('error', (error: Error) => {
      if (server.listenerCount('tlsClientError') > 0) server.emit('tlsClientError', error, socket);
      socket.destroy();
    });
    socket.once('close', () => secure.destroy());
    server.emit('connection', socket);
  }
}

function makeTls(options: unknown, where: string): ServerState['tls'] {
  if (!isObject(options))
    throw invalidArgument(`${where}: tls must be tls.createSecureContext options`, where);
  const tlsOptions = options as tls.TlsOptions;
  return { context: tls.createSecureContext(tlsOptions), options: tlsOptions };
}

let checkingIntervalSymbol: symbol | undefined;

/** http.Server keeps a connection-checking interval keyed by a private symbol; stop it as close() does. */
function stopConnectionsChecking(server: http.Server): void {
  checkingIntervalSymbol ??= Object.getOwnPropertySymbols(server).find(
    (s) => s.description === 'http.server.connectionsCheckingInterval',
  );
  if (!checkingIntervalSymbol) return;
  const timer = (server as unknown as Record<symbol, NodeJS.Timeout | undefined>)[checkingIntervalSymbol];
  if (timer) clearInterval(timer);
}
