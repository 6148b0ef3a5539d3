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
  timeout: number | undefined;
  /** When set, TLS is layered on the secured socket with these options. */
  tls: tls.ConnectionOptions | undefined;
}

/** The connection handed to http or undici, and the secured socket under it. */
export interface SecureConnection {
  socket: Duplex;
  secure: SecureSocket;
}

/**
 * Connects through the backend (create, `WSASetSocketSecurity`, `WSASetSocketPeerTargetName`,
 * `WSAConnect`), checks what was negotiated, and layers TLS when asked. Never opens a socket of its
 * own: if the backend fails, the connect fails.
 * @throws SecureSocketError from the backend (`ERR_WSASEC_NEGOTIATION_FAILED`,
 *   `ERR_WSASEC_PEER_NAME_MISMATCH`, `WSAECONNREFUSED`, `ERR_WSASEC_ABORTED`, …), or
 *   `ERR_WSASEC_NEGOTIATION_FAILED` when a backend hands back a clear-text connection the settings do
 *   not allow. TLS handshake failures are Node's own TLS errors.
 */
export async function connectSecured(
  backend: SecureSocketBackend,
  request: SecureConnectRequest,
): Promise<SecureConnection> {
  const { host, port, targetName } = request;
  if (channels.connectStart.hasSubscribers) channels.connectStart.publish({ host, port, targetName });
  let secure: SecureSocket | undefined;
  try {
    secure = await backend.connect({
      host,
      port,
      ...(request.family ? { family: request.family } : {}),
      ...(request.security !== undefined ? { security: request.security } : {}),
      peerTargetName: request.target,
      ...(request.signal ? { signal: request.signal } : {}),
      ...(request.timeout ? { timeout: request.timeout } : {}),
    });
    const info = secure.querySecurity();
    const { secured, encrypted } = info;
    info.close();
    // Belt and braces: a backend must fail closed, but a clear-text socket is never used unless the
    // settings said allowInsecure, whatever the backend did.
    if (!secured && !request.allowInsecure) {
      throw new SecureSocketError(
        'ERR_WSASEC_NEGOTIATION_FAILED',
        `connect to ${host}:${port}: the ${backend.name} backend returned a connection that is not secured; refused because the settings do not allow insecure connections`,
        { syscall: 'WSAConnect' },
      );
    }
    const socket = request.tls ? await layerTls(secure, request.tls, request.signal) : secure;
    debug('connected %s:%d as %s (secured %s, encrypted %s)', host, port, targetName, secured, encrypted);
    if (channels.connectSuccess.hasSubscribers) {
      channels.connectSuccess.publish({ host, port, targetName, secured, encrypted });
    }
    return { socket, secure };
  } catch (error) {
    secure?.destroy();
    const code = (error as { code?: unknown }).code;
    debug('connect to %s:%d as %s failed: %s', host, port, targetName, code);
    if (channels.connectFailure.hasSubscribers) {
      channels.connectFailure.publish({ host, port, targetName, code });
    }
    if (SecureSocketError.isInstance(error) || isTlsError(error)) throw error;
    throw toSecureSocketError(error, 'connect');
  }
}

function isTlsError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    typeof code === 'string' &&
    (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || /CERT|SELF_SIGNED|UNABLE_TO/.test(code))
  );
}

/**
 * A TLS socket over a stream that is not a net.Socket knows no addresses: report the secured
 * socket's, so `req.socket.remoteAddress` and friends keep working with TLS on top.
 */
export function delegateAddresses(socket: tls.TLSSocket, secure: SecureSocket): void {
  for (const name of ['remoteAddress', 'remotePort', 'remoteFamily', 'localAddress', 'localPort'] as const) {
    Object.defineProperty(socket, name, { get: () => secure[name], configurable: true });
  }
}

/** Runs a TLS client handshake over the secured socket. */
function layerTls(
  secure: SecureSocket,
  options: tls.ConnectionOptions,
  signal: AbortSignal | undefined,
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
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
    const cleanup = () => {
      socket.off('secureConnect', onSecure);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onSecure = () => {
      cleanup();
      resolve(socket);
    };
    const onError = (error: Error) => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onAbort = () =>
      onError(
        new SecureSocketError('ERR_WSASEC_ABORTED', 'connect was aborted during the TLS handshake', {
          syscall: 'connect',
          cause: signal?.reason,
        }),
      );
    socket.once('secureConnect', onSecure);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
