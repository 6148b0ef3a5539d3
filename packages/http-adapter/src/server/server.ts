import { lookup } from 'node:dns/promises';
import * as http from 'node:http';
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import {
  normalizeSecuritySettings,
  type SecureServer,
  type SecureSocket,
  type SecureSocketBackend,
  SecureSocketError,
  type SecuritySettings,
} from '@wsasec/core';
import { delegateAddresses } from '../connect/connect.js';
import { debug } from '../connect/observe.js';
import { checkBackend, invalidArgument, isObject } from '../connect/options.js';
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
  listener: SecureServer | undefined;
  closing: Promise<void> | undefined;
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
    listener: undefined,
    closing: undefined,
  };
  normalizeSecuritySettings(security, 'WSASetSocketSecurity');
  if (listener !== undefined && typeof listener !== 'function') {
    throw invalidArgument(`${where}: the request listener must be a function`, where);
  }
  const server = http.createServer(httpOptions, listener);
  Object.defineProperties(server, {
    listen: { value: listen, configurable: true, writable: true },
    address: { value: address, configurable: true, writable: true },
    close: { value: close, configurable: true, writable: true },
    getConnections: { value: getConnections, configurable: true, writable: true },
    listening: { get: () => state.listener?.listening ?? false, configurable: true },
  });
  return server;

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

  function listen(this: http.Server, ...args: unknown[]): http.Server {
    const { host, port, backlog, callback } = parseListenArgs(args);
    if (callback) server.once('listening', callback);
    if (state.listener?.listening || (state.listener && !state.closing)) {
      throw new SecureSocketError('WSAEINVAL', 'listen: the server is already listening', {
        syscall: 'listen',
      });
    }
    const secureServer = state.backend.createServer({
      ...(state.security !== undefined ? { security: state.security } : {}),
      ...(state.family ? { family: state.family } : {}),
    });
    state.listener = secureServer;
    state.closing = undefined;
    secureServer.on('connection', onConnection);
    secureServer.on('error', (error: Error) => server.emit('error', error));
    secureServer.on('negotiationError', (error: Error) => {
      debug('incoming negotiation failed: %s', (error as { code?: string }).code);
      server.emit('negotiationError', error);
    });
    resolveHost(host, state.family)
      .then((bound) =>
        secureServer.listen({
          ...(bound !== undefined ? { host: bound } : {}),
          port,
          ...(backlog !== undefined ? { backlog } : {}),
        }),
      )
      .then(
        () => server.emit('listening'),
        (error: Error) => {
          state.listener = undefined;
          server.emit('error', error);
        },
      );
    return server;
  }

  function address() {
    const bound = state.listener?.address();
    if (!bound) return null;
    return { address: bound.address, family: bound.family, port: bound.port };
  }

  function close(this: http.Server, callback?: (error?: Error) => void): http.Server {
    const secureServer = state.listener;
    if (!secureServer || (!secureServer.listening && !state.closing)) {
      if (callback) {
        const error = Object.assign(new Error('Server is not running.'), { code: 'ERR_SERVER_NOT_RUNNING' });
        process.nextTick(callback, error);
      }
      return server;
    }
    if (callback) server.once('close', () => callback());
    // What http.Server.close does before closing its handle: idle keep-alive connections go now,
    // busy ones when their response is done; and the connection-checking timer stops.
    server.closeIdleConnections();
    stopConnectionsChecking(server);
    state.closing ??= secureServer.close().then(
      () => {
        if (state.listener === secureServer) state.listener = undefined;
        server.emit('close');
      },
      (error: Error) => {
        server.emit('error', error);
      },
    );
    return server;
  }

  function getConnections(callback: (error: Error | null, count: number) => void): http.Server {
    process.nextTick(callback, null, state.listener?.connections ?? 0);
    return server;
  }
}

export function checkFamily(value: unknown, where: string): 'ipv4' | 'ipv6' | undefined {
  if (value === undefined || value === 'ipv4' || value === 'ipv6') return value;
  throw new SecureSocketError('WSAEAFNOSUPPORT', `${where}: family must be 'ipv4' or 'ipv6'`, {
    syscall: 'listen',
  });
}

function makeTls(options: unknown, where: string): ServerState['tls'] {
  if (!isObject(options))
    throw invalidArgument(`${where}: tls must be tls.createSecureContext options`, where);
  const tlsOptions = options as tls.TlsOptions;
  return { context: tls.createSecureContext(tlsOptions), options: tlsOptions };
}

export function parseListenArgs(args: unknown[]): {
  host: string | undefined;
  port: number;
  backlog: number | undefined;
  callback: (() => void) | undefined;
} {
  const last = args[args.length - 1];
  const callback = typeof last === 'function' ? (args.pop() as () => void) : undefined;
  let host: unknown;
  let port: unknown;
  let backlog: unknown;
  const first = args[0];
  if (isObject(first)) {
    const options = first as Record<string, unknown>;
    if (options.path !== undefined || options.fd !== undefined || options.handle !== undefined) {
      throw unsupportedListen();
    }
    ({ host, port, backlog } = options);
  } else if (typeof first === 'string' && !/^\d+$/.test(first)) {
    throw unsupportedListen();
  } else {
    [port, host, backlog] = args;
    if (typeof host === 'number' && backlog === undefined) [host, backlog] = [undefined, host];
  }
  const portNumber = port === undefined || port === null ? 0 : Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) {
    throw new SecureSocketError(
      'WSAEINVAL',
      `listen: port must be an integer from 0 to 65535, got ${String(port)}`,
      {
        syscall: 'listen',
      },
    );
  }
  if (host !== undefined && host !== null && typeof host !== 'string') {
    throw new SecureSocketError('WSAEINVAL', 'listen: host must be an IP address or a host name', {
      syscall: 'listen',
    });
  }
  return {
    host: (host as string | null | undefined) ?? undefined,
    port: portNumber,
    backlog: backlog === undefined || backlog === null ? undefined : (backlog as number),
    callback,
  };
}

function unsupportedListen(): SecureSocketError {
  return new SecureSocketError(
    'WSAEOPNOTSUPP',
    'listen: a secure server listens on a TCP port ({ host, port }); paths, file descriptors and handles are not supported',
    { syscall: 'listen' },
  );
}

export async function resolveHost(host: string | undefined, family: 'ipv4' | 'ipv6' | undefined) {
  if (host === undefined || isIP(host.replace(/^\[|\]$/g, '')) !== 0) return host;
  const found = await lookup(host, { family: family === 'ipv6' ? 6 : family === 'ipv4' ? 4 : 0 });
  return found.address;
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
