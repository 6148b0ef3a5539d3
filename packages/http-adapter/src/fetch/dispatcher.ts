import { randomBytes } from 'node:crypto';
import type * as tls from 'node:tls';
import { Agent, type buildConnector } from 'undici';
import { connectSecured } from '../connect/connect.js';
import {
  invalidArgument,
  isObject,
  parseClientOptions,
  resolveTarget,
  type SecureClientOptions,
} from '../connect/options.js';
import { prepareForHttp2 } from '../http2/shutdown.js';

/** Options of {@link createSecureConnector}: the secure-socket settings, and TLS for `https:`. */
export interface SecureConnectorOptions extends SecureClientOptions {
  /** `tls.connect` options for `https:` origins (TLS over the secured socket). */
  tls?: tls.ConnectionOptions;
  /**
   * Speak HTTP/2 with prior knowledge (h2c) on `http:` origins, as undici's `useH2c`: the socket is
   * marked `alpnProtocol = 'h2'`, which makes undici's `Client` run HTTP/2 on it. Only for servers
   * that speak h2c (`createSecureHttp2Server`); default false (HTTP/1.1).
   */
  useH2c?: boolean;
}

/**
 * An undici connector (the `connect` option of undici's `Client`, `Pool` and `Agent`) whose
 * sockets are secured by the backend: each connection is created, secured, given the target name
 * and connected, checked (never clear text unless the settings say `allowInsecure`), and for
 * `https:` origins TLS is layered on it. The callback gets the socket once it is ready to carry
 * requests, or the connect's `SecureSocketError` (a TLS error for `https:`).
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (no backend, wrong option types),
 *   `WSAEINVAL`/`WSAEMSGSIZE` (bad settings or target name).
 */
export function createSecureConnector(options: SecureConnectorOptions): buildConnector.connector {
  return secureConnector(options, 'createSecureConnector');
}

/** {@link createSecureConnector}, its errors naming the caller `where`. */
function secureConnector(options: SecureConnectorOptions, where: string): buildConnector.connector {
  if (!isObject(options))
    throw invalidArgument(`${where} needs { backend, security?, peerTargetName?, … }`, where);
  const { backend, security, peerTargetName, tls: tlsOptions, connectTimeout, useH2c } = options;
  const {
    backend: checkedBackend,
    policy,
    target,
    connectTimeout: timeout,
  } = parseClientOptions({ backend, security, peerTargetName, connectTimeout }, randomBytes(32), where);
  if (useH2c !== undefined && typeof useH2c !== 'boolean') {
    throw invalidArgument(`${where}: useH2c must be a boolean`, where);
  }
  const protocol = policy.normalized.protocol;
  if (tlsOptions !== undefined && !isObject(tlsOptions)) {
    throw invalidArgument(`${where}: tls must be tls.connect options`, where);
  }
  return (opts, callback) => {
    const https = opts.protocol === 'https:';
    const port = Number(opts.port) || (https ? 443 : 80);
    const host = opts.hostname.replace(/^\[|\]$/g, '');
    let resolved: ReturnType<typeof resolveTarget>;
    try {
      resolved = resolveTarget(target, host, port, protocol);
    } catch (error) {
      callback(error as Error, null);
      return;
    }
    connectSecured(checkedBackend, {
      host,
      port,
      family: undefined,
      security: policy.security,
      allowInsecure: policy.allowInsecure,
      target: resolved.value,
      targetName: resolved.normalized.name,
      signal: undefined,
      timeout,
      tls: https
        ? {
            host,
            ...tlsOptions,
            ...(opts.servername ? { servername: opts.servername } : {}),
            ALPNProtocols: ['http/1.1'],
          }
        : undefined,
    }).then(
      ({ socket }) => {
        if (useH2c && !https) {
          (socket as { alpnProtocol?: string }).alpnProtocol = 'h2';
          prepareForHttp2(socket);
        }
        callback(null, socket as never);
      },
      (error: Error) => callback(error, null),
    );
  };
}

/**
 * Options of {@link createSecureDispatcher}: the secure-socket settings plus undici `Agent` options
 * (`keepAliveTimeout`, `connections`, `pipelining`, …; `connect` is the dispatcher's own).
 */
export interface SecureDispatcherOptions extends SecureClientOptions, Omit<Agent.Options, 'connect' | 'tls'> {
  /** `tls.connect` options for `https:` URLs (TLS over the secured socket). */
  tls?: tls.ConnectionOptions;
}

/**
 * An undici `Agent` whose connections are secured by the backend ({@link createSecureConnector}), for
 * `fetch(url, { dispatcher })` with the `fetch` this package exports (undici 7). One dispatcher is
 * one policy: undici pools per origin, so give each set of settings its own dispatcher. `http:`
 * URLs run over the secured socket; `https:` URLs add TLS on top of it. Never falls back to an
 * unsecured socket unless the settings say `allowInsecure`.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (no backend, wrong option types),
 *   `WSAEINVAL`/`WSAEMSGSIZE` (bad settings or target name).
 */
export function createSecureDispatcher(options: SecureDispatcherOptions): Agent {
  const where = 'createSecureDispatcher';
  if (!isObject(options))
    throw invalidArgument(`${where} needs { backend, security?, peerTargetName?, … }`, where);
  const { backend, security, peerTargetName, tls: tlsOptions, connectTimeout, ...agentOptions } = options;
  if ((agentOptions as { connect?: unknown }).connect !== undefined) {
    throw invalidArgument(`${where}: connect is the dispatcher's own; it cannot be replaced`, where);
  }
  const connect = secureConnector(
    {
      backend,
      ...(security !== undefined ? { security } : {}),
      ...(peerTargetName !== undefined ? { peerTargetName } : {}),
      ...(tlsOptions !== undefined ? { tls: tlsOptions } : {}),
      ...(connectTimeout !== undefined ? { connectTimeout } : {}),
    },
    where,
  );
  return new Agent({ ...agentOptions, connect });
}
