import * as http2 from 'node:http2';
import { openSecured } from '../connect/connect.js';
import {
  invalidArgument,
  isObject,
  parseClientOptions,
  resolveTarget,
  type SecureClientOptions,
} from '../connect/options.js';
import { prepareForHttp2 } from './shutdown.js';

/**
 * Options of {@link connectSecureHttp2}: the secure-socket settings of every client entry point plus
 * `http2.connect`'s own (`createConnection` is this function's own).
 */
export interface SecureHttp2ConnectOptions
  extends SecureClientOptions,
    Omit<http2.ClientSessionOptions, 'createConnection' | 'protocol'> {}

/**
 * `http2.connect` over a secured socket: h2c (HTTP/2 with prior knowledge, no TLS) to an `http:`
 * authority, the connection created, secured (`WSASetSocketSecurity`), given the target name
 * (`WSASetSocketPeerTargetName`, default `host/<hostname>`) and connected through the backend, and
 * checked before a byte is written (never clear text unless the settings say `allowInsecure`).
 * Returns the `ClientHttp2Session` at once; requests made meanwhile wait for the negotiation.
 * A connect that fails — wrong target name (`ERR_WSASEC_PEER_NAME_MISMATCH`), failed negotiation
 * (`ERR_WSASEC_NEGOTIATION_FAILED`), `WSAECONNREFUSED`, `WSAETIMEDOUT` after `connectTimeout` —
 * is emitted as `'error'` on the session (and on its pending streams), then `'close'`.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (authority not an `http:` URL, no backend,
 *   wrong option types, `createConnection` given), `WSAEINVAL`/`WSAEMSGSIZE` (bad settings or target
 *   name).
 */
export function connectSecureHttp2(
  authority: string | URL,
  options: SecureHttp2ConnectOptions,
  listener?: (session: http2.ClientHttp2Session, socket: unknown) => void,
): http2.ClientHttp2Session {
  const where = 'connectSecureHttp2';
  let url: URL | undefined;
  if (typeof authority === 'string' || authority instanceof URL) {
    try {
      url = new URL(authority);
    } catch {
      url = undefined;
    }
  }
  if (url?.protocol !== 'http:') {
    throw invalidArgument(
      `${where}: authority must be an http: URL such as "http://server.contoso.com:8080" (h2c over the secured socket; https: is not supported)`,
      where,
    );
  }
  if (!isObject(options))
    throw invalidArgument(`${where} needs { backend, security?, peerTargetName?, … }`, where);
  const { backend, security, peerTargetName, connectTimeout, ...h2Options } = options;
  if ((h2Options as { createConnection?: unknown }).createConnection !== undefined) {
    throw invalidArgument(`${where}: createConnection is this function's own; it cannot be replaced`, where);
  }
  if (listener !== undefined && typeof listener !== 'function') {
    throw invalidArgument(`${where}: the listener must be a function`, where);
  }
  const {
    backend: checkedBackend,
    policy,
    target,
    connectTimeout: timeout,
  } = parseClientOptions({ backend, security, peerTargetName, connectTimeout }, Buffer.alloc(32), where);
  const protocol = policy.normalized.protocol;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port) || 80;
  const resolved = resolveTarget(target, host, port, protocol);
  const createConnection = () => {
    const { socket } = openSecured(checkedBackend, {
      host,
      port,
      family: undefined,
      security: policy.security,
      allowInsecure: policy.allowInsecure,
      target: resolved.value,
      targetName: resolved.normalized.name,
      signal: undefined,
      timeout,
      tls: undefined,
    });
    prepareForHttp2(socket);
    return socket;
  };
  const sessionOptions = { ...h2Options, createConnection } as http2.ClientSessionOptions;
  return listener
    ? http2.connect(url, sessionOptions, listener as never)
    : http2.connect(url, sessionOptions);
}
