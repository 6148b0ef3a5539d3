import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import {
  type PeerTargetName,
  type SecureSocket,
  type SecureSocketBackend,
  SecureSocketError,
  type SecuritySettings,
  toSecureSocketError,
} from '@wsasec/core';
import { channels, debug } from './observe.js';

/** One secured connect, as the agent and the dispatcher ask for it. */
export interface SecureConnectRequest {
  host: string;
  port: number;
  family: 'ipv4' | 'ipv6' | undefined;
  security: SecuritySettings | undefined;
  allowInsecure: boolean;
  target: string | PeerTargetName;
  targetName: string;
  signal: AbortSignal | undefined;
  /** Bounds the whole connect, negotiation and TLS handshake included (`WSAETIMEDOUT`). */
  timeout: number | undefined;
  /** When set, TLS is layered on the secured socket with these options. */
  tls: tls.ConnectionOptions | undefined;
  /** net's `options.timeout`: the idle `'timeout'` of the socket, from the start (`setTimeout`). */
  idleTimeout?: number | undefined;
  noDelay?: boolean | undefined;
  keepAlive?: boolean | undefined;
  keepAliveInitialDelay?: number | undefined;
  /** net's `options.lookup` (the request's): resolves a host name for the socket's family. */
  lookup?: unknown;
  /** net's `options.localAddress` / `options.localPort` (the request's): the local end to bind. */
  localAddress?: unknown;
  localPort?: unknown;
}

/** The connection handed to http or undici, and the secured socket under it. */
export interface SecureConnection {
  socket: Duplex;
  secure: SecureSocket;
}

/**
 * Starts a secured connect through the backend and returns at once, as `net.connect` does: the
 * socket is created, secured (`WSASetSocketSecurity`), given the target name
 * (`WSASetSocketPeerTargetName`) and connecting (`WSAConnect`). What is written meanwhile waits:
 * a backend sends nothing before its negotiation succeeded, and the socket stays corked until what
 * was negotiated was checked (unless the writer uncorks it first — http's `end()` does), so a
 * backend that wrongly hands back clear text is refused before a byte of ours is written. The outcome is reported as net reports
 * it: `'connect'`/`'ready'` (then `'secureConnect'` with TLS), or `'error'` then `'close'`;
 * `destroy()` or the signal cancels the negotiation. Never opens a socket of its own: if the backend
 * fails, the connect fails.
 * @throws SecureSocketError synchronously for settings or a target name the backend refuses (nothing
 *   is left open). Emitted as `'error'`: the backend's connect errors (`ERR_WSASEC_NEGOTIATION_FAILED`,
 *   `ERR_WSASEC_PEER_NAME_MISMATCH`, `WSAECONNREFUSED`, an `AbortError`, …), `WSAETIMEDOUT` after
 *   `timeout`, or `ERR_WSASEC_NEGOTIATION_FAILED` when a backend hands back a clear-text connection
 *   the settings do not allow. TLS handshake failures are Node's own TLS errors.
 */
export function openSecured(backend: SecureSocketBackend, request: SecureConnectRequest): SecureConnection {
  const { host, port, targetName } = request;
  if (channels.connectStart.hasSubscribers) channels.connectStart.publish({ host, port, targetName });
  const failed = (code: unknown) => {
    debug('connect to %s:%d as %s failed: %s', host, port, targetName, code);
    if (channels.connectFailure.hasSubscribers) {
      channels.connectFailure.publish({ host, port, targetName, code });
    }
  };
  let secure: SecureSocket | undefined;
  try {
    secure = backend.createSocket({ family: request.family ?? (isIP(host) === 6 ? 'ipv6' : 'ipv4') });
    secure.setSecurity(request.security);
    secure.setPeerTargetName(request.target);
    if (request.noDelay !== undefined) secure.setNoDelay(request.noDelay);
    if (request.keepAlive) secure.setKeepAlive(true, request.keepAliveInitialDelay ?? 0);
  } catch (error) {
    secure?.destroy();
    const reported = SecureSocketError.isInstance(error) ? error : toSecureSocketError(error, 'connect');
    failed(reported.code);
    throw reported;
  }
  const socket = secure;
  // Writes wait for the check of the negotiated security too (see above).
  socket.cork();
  let connected = false;
  let timer: NodeJS.Timeout | undefined;
  const onConnect = () => {
    connected = true;
    if (timer && !request.tls) clearTimeout(timer);
    socket.removeListener('close', onClose);
    let secured = false;
    let encrypted = false;
    try {
      const info = socket.querySecurity();
      ({ secured, encrypted } = info);
      info.close();
    } catch (error) {
      socket.destroy(toSecureSocketError(error, 'WSAQuerySocketSecurity'));
      failed((error as { code?: unknown }).code);
      return;
    }
    // Belt and braces: a backend must fail closed, but a clear-text socket is never used unless the
    // settings said allowInsecure, whatever the backend did.
    if (!secured && !request.allowInsecure) {
      socket.destroy(
        new SecureSocketError(
          'ERR_WSASEC_NEGOTIATION_FAILED',
          `connect to ${host}:${port}: the ${backend.name} backend returned a connection that is not secured; refused because the settings do not allow insecure connections`,
          { syscall: 'WSAConnect', address: host, port },
        ),
      );
      failed('ERR_WSASEC_NEGOTIATION_FAILED');
      return;
    }
    debug('connected %s:%d as %s (secured %s, encrypted %s)', host, port, targetName, secured, encrypted);
    if (channels.connectSuccess.hasSubscribers) {
      channels.connectSuccess.publish({ host, port, targetName, secured, encrypted });
    }
    socket.uncork();
  };
  const onClose = () => {
    if (timer) clearTimeout(timer);
    if (!connected) failed((socket.errored as { code?: unknown } | null)?.code ?? 'ERR_WSASEC_ABORTED');
  };
  socket.once('connect', onConnect);
  socket.once('close', onClose);
  const timeout = request.timeout;
  if (timeout) {
    timer = setTimeout(() => {
      socket.destroy(
        new SecureSocketError(
          'WSAETIMEDOUT',
          `connect to ${host}:${port} did not complete within ${timeout} ms (connectTimeout)`,
          { syscall: 'WSAConnect', address: host, port },
        ),
      );
    }, timeout);
    timer.unref();
  }
  try {
    socket.connect({
      host,
      port,
      ...(request.signal ? { signal: request.signal } : {}),
      ...(request.idleTimeout ? { timeout: request.idleTimeout } : {}),
      // Passed as given: the connect checks it as net does (ERR_INVALID_ARG_TYPE for a non-function).
      ...(request.lookup !== undefined ? { lookup: request.lookup as never } : {}),
      ...(request.localAddress !== undefined ? { localAddress: request.localAddress as string } : {}),
      ...(request.localPort !== undefined ? { localPort: request.localPort as number } : {}),
    });
  } catch (error) {
    // Refused at once (a lookup that is not a function, as net refuses it): nothing is left open.
    if (timer) clearTimeout(timer);
    socket.removeListener('close', onClose);
    socket.destroy();
    failed((error as { code?: unknown }).code);
    throw error;
  }
  if (!request.tls) return { socket, secure: socket };
  const layered = layerTls(socket, request.tls);
  if (timer) {
    const stop = () => clearTimeout(timer);
    layered.once('secureConnect', stop);
    layered.once('close', stop);
  }
  return { socket: layered, secure: socket };
}

/**
 * {@link openSecured}, settled once the connection is ready to carry requests (connected and
 * checked, and TLS established when asked).
 */
export function connectSecured(
  backend: SecureSocketBackend,
  request: SecureConnectRequest,
): Promise<SecureConnection> {
  let connection: SecureConnection;
  try {
    connection = openSecured(backend, request);
  } catch (error) {
    return Promise.reject(error);
  }
  const { socket, secure } = connection;
  const ready = request.tls ? 'secureConnect' : 'connect';
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      socket.removeListener(ready, onReady);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
    };
    const onReady = () => {
      cleanup();
      // The check after the negotiation may have refused the connection in an earlier listener.
      if (socket.destroyed) reject(closedError(socket, secure));
      else resolve(connection);
    };
    const onError = (error: Error) => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(closedError(socket, secure));
    };
    socket.once(ready, onReady);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

function closedError(socket: Duplex, secure: SecureSocket): Error {
  return (
    socket.errored ??
    secure.errored ??
    new SecureSocketError('ERR_WSASEC_SOCKET_CLOSED', 'the secured socket closed while connecting', {
      syscall: 'WSAConnect',
    })
  );
}

/**
 * A TLS socket over a stream without a libuv handle (a sim socket) knows no addresses: report the secured
 * socket's, so `req.socket.remoteAddress` and friends keep working with TLS on top.
 */
export function delegateAddresses(socket: tls.TLSSocket, secure: SecureSocket): void {
  for (const name of ['remoteAddress', 'remotePort', 'remoteFamily', 'localAddress', 'localPort'] as const) {
    Object.defineProperty(socket, name, { get: () => secure[name], configurable: true });
  }
}

/**
 * Starts a TLS client handshake over the secured socket (it runs once the secured connect
 * succeeded) and returns the TLS socket at once.
 */
function layerTls(secure: SecureSocket, options: tls.ConnectionOptions): tls.TLSSocket {
  const socket = tls.connect({ ...options, socket: secure });
  delegateAddresses(socket, secure);
  // The TLS socket wraps a stream, not a handle: pass ref/unref down so an idle pooled socket
  // never keeps the process alive and a reused one does.
  const { ref, unref } = socket;
  socket.ref = function refBoth() {
    secure.ref();
    return ref.call(this);
  };
  socket.unref = function unrefBoth() {
    secure.unref();
    return unref.call(this);
  };
  return socket;
}
