import { lookup } from 'node:dns/promises';
import type { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import {
  closeServer,
  listenServer,
  type SecureServer,
  type SecureSocket,
  type SecureSocketBackend,
  SecureSocketError,
  type SecuritySettings,
} from '@wsasec/core';
import { debug } from '../connect/observe.js';
import { isObject } from '../connect/options.js';

/** What a Node server object (http or http2) gets from {@link installSecureListener}. */
export interface SecureListenerOptions {
  readonly backend: SecureSocketBackend;
  readonly security: SecuritySettings | undefined;
  readonly family: 'ipv4' | 'ipv6' | undefined;
  /** Hands one accepted, negotiated connection to the Node server. */
  readonly onConnection: (secure: SecureSocket) => void;
  /** Run by `close()` before the listening socket closes (e.g. closing idle connections). */
  readonly beforeClose: () => void;
}

/**
 * Replaces `listen`, `address`, `close`, `getConnections` and `listening` of a Node server object
 * with ones that listen through `backend.createServer`: the server never binds a plain TCP port,
 * and every connection the backend accepted and secured is passed to `onConnection`. `listen`
 * takes every form `net.Server.listen` documents for a TCP port; `close(cb)` calls `cb` with
 * `ERR_SERVER_NOT_RUNNING` when not listening, as net does.
 */
export function installSecureListener<S extends EventEmitter>(server: S, options: SecureListenerOptions): S {
  const { backend, security, family, onConnection, beforeClose } = options;
  let listener: SecureServer | undefined;
  let closing: Promise<void> | undefined;

  function listen(...args: unknown[]): S {
    const { host, port, backlog, callback } = parseListenArgs(args);
    if (callback) server.once('listening', callback);
    if (listener?.listening || (listener && !closing)) {
      throw new SecureSocketError('WSAEINVAL', 'listen: the server is already listening', {
        syscall: 'listen',
      });
    }
    const secureServer = backend.createServer({
      ...(security !== undefined ? { security } : {}),
      ...(family ? { family } : {}),
    });
    listener = secureServer;
    closing = undefined;
    secureServer.on('connection', onConnection);
    // A failed bind reaches the server once: through this forward (the core server emits it).
    let forwarded = false;
    secureServer.on('error', (error: Error) => {
      forwarded = true;
      server.emit('error', error);
    });
    secureServer.on('negotiationError', (error: Error) => {
      debug('incoming negotiation failed: %s', (error as { code?: string }).code);
      server.emit('negotiationError', error);
    });
    resolveHost(host, family)
      .then((bound) =>
        listenServer(secureServer, {
          ...(bound !== undefined ? { host: bound } : {}),
          port,
          ...(backlog !== undefined ? { backlog } : {}),
        }),
      )
      .then(
        () => server.emit('listening'),
        (error: Error) => {
          listener = undefined;
          if (!forwarded) server.emit('error', error);
        },
      );
    return server;
  }

  function address() {
    const bound = listener?.address();
    if (!bound) return null;
    return { address: bound.address, family: bound.family, port: bound.port };
  }

  function close(callback?: (error?: Error) => void): S {
    const secureServer = listener;
    if (!secureServer || (!secureServer.listening && !closing)) {
      if (callback) {
        const error = Object.assign(new Error('Server is not running.'), { code: 'ERR_SERVER_NOT_RUNNING' });
        process.nextTick(callback, error);
      }
      return server;
    }
    if (callback) server.once('close', () => callback());
    beforeClose();
    closing ??= closeServer(secureServer).then(() => {
      if (listener === secureServer) listener = undefined;
      server.emit('close');
    });
    return server;
  }

  function getConnections(callback: (error: Error | null, count: number) => void): S {
    process.nextTick(callback, null, listener?.connections ?? 0);
    return server;
  }

  Object.defineProperties(server, {
    listen: { value: listen, configurable: true, writable: true },
    address: { value: address, configurable: true, writable: true },
    close: { value: close, configurable: true, writable: true },
    getConnections: { value: getConnections, configurable: true, writable: true },
    listening: { get: () => listener?.listening ?? false, configurable: true },
  });
  return server;
}

export function checkFamily(value: unknown, where: string): 'ipv4' | 'ipv6' | undefined {
  if (value === undefined || value === 'ipv4' || value === 'ipv6') return value;
  throw new SecureSocketError('WSAEAFNOSUPPORT', `${where}: family must be 'ipv4' or 'ipv6'`, {
    syscall: 'listen',
  });
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
