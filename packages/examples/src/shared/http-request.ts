import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { type SecureSocket, SecureSocketError, TOKEN_QUERY } from '@wsasec/core';
import { type SecuritySnapshot, snapshotSecurity } from './security-format.js';

/** Options of {@link secureRequest}. */
export interface SecureRequestOptions {
  /** The agent that secures the connection (a `SecureAgent`). */
  agent: http.Agent;
  /** HTTP method (default `GET`). */
  method?: string;
  /** Request headers. */
  headers?: http.OutgoingHttpHeaders;
  /** Request body. */
  body?: string;
  /** Whole-request timeout in milliseconds (connect and negotiation included). */
  timeout: number;
}

/** A response read to the end, with what the client saw of the connection's security. */
export interface SecureResponse {
  status: number;
  statusMessage: string;
  httpVersion: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** `WSAQuerySocketSecurity` of the connection the request went out on (peer tokens and SA ids). */
  security: SecuritySnapshot | undefined;
}

function isSecureSocket(socket: Duplex): socket is SecureSocket {
  return typeof (socket as Partial<SecureSocket>).querySecurity === 'function';
}

function invalid(message: string): SecureSocketError {
  return new SecureSocketError('ERR_WSASEC_INVALID_ARGUMENT', message, { syscall: 'secureRequest' });
}

/**
 * One HTTP request through a `SecureAgent`, read to the end. Once the request's socket is connected
 * (negotiated), it is queried — `WSAQuerySocketSecurity` with `TOKEN_QUERY`
 * and the IPSEC2 fields — so the caller can show what was negotiated and who the server proved to be.
 * Rejects with the agent's `SecureSocketError` when the connection could not be secured, and with
 * `ERR_WSASEC_ABORTED` when `timeout` passes first.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (synchronously) when `url` is not an
 *   `http:` URL object, `agent` is not an `http.Agent`, or `timeout` is not a positive integer.
 */
export function secureRequest(url: URL, options: SecureRequestOptions): Promise<SecureResponse> {
  if (!(url instanceof URL) || url.protocol !== 'http:') {
    throw invalid(
      'secureRequest: url must be a URL object with the http: protocol, e.g. new URL("http://127.0.0.1:8080/")',
    );
  }
  if (typeof options !== 'object' || options === null || !(options.agent instanceof http.Agent)) {
    throw invalid(
      'secureRequest: options.agent must be an http.Agent (a SecureAgent to secure the connection)',
    );
  }
  const { timeout } = options;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > 2_147_483_647) {
    throw invalid(
      `secureRequest: options.timeout must be a positive integer number of milliseconds, got ${String(timeout)}`,
    );
  }
  return new Promise((resolve, reject) => {
    let security: SecuritySnapshot | undefined;
    const req = http.request(url, {
      agent: options.agent,
      method: options.method ?? 'GET',
      headers: options.headers,
    });
    const timer = setTimeout(() => {
      req.destroy(
        new SecureSocketError(
          'ERR_WSASEC_ABORTED',
          `no complete answer from ${url.host} within ${options.timeout} ms`,
          {
            syscall: 'connect',
          },
        ),
      );
    }, options.timeout);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    req.once('error', fail);
    req.on('socket', (socket: Duplex) => {
      if (!isSecureSocket(socket)) return;
      const query = () => {
        if (socket.destroyed) return;
        const info = socket.querySecurity({ tokenAccess: TOKEN_QUERY, ipsec2: {} });
        try {
          security = snapshotSecurity(info);
        } finally {
          info.close();
        }
      };
      // As with http.Agent, a new socket is handed out while it connects (and negotiates).
      if (socket.connecting) socket.once('connect', query);
      else query();
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', fail);
      res.once('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          statusMessage: res.statusMessage ?? '',
          httpVersion: res.httpVersion,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          security,
        });
      });
    });
    req.end(options.body);
  });
}
