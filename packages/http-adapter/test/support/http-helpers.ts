import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SecureSocketBackend } from '@wsasec/core';
import { createSecureServer, type SecureServerOptions } from '../../src/index.js';

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  reusedSocket: boolean;
}

/** One request through `http.request`, resolved with the whole reply. */
export function request(
  url: string,
  options: http.RequestOptions & Record<string, unknown>,
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: res.headers,
          reusedSocket: req.reusedSocket,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface Started {
  server: http.Server;
  port: number;
  url: string;
  /** Connections http received (one per secured socket). */
  connections: number;
  close(): Promise<void>;
}

/** A createSecureServer on 127.0.0.1 and an ephemeral port. */
export async function startSecureServer(
  backend: SecureSocketBackend,
  handler: http.RequestListener,
  options: Omit<SecureServerOptions, 'backend'> = {},
): Promise<Started> {
  const server = createSecureServer({ backend, ...options }, handler);
  const started: Started = {
    server,
    port: 0,
    url: '',
    connections: 0,
    async close() {
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', () => {
    started.connections++;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  started.port = (server.address() as AddressInfo).port;
  started.url = `http://127.0.0.1:${started.port}`;
  return started;
}

/** A plain `http.createServer` (no security), for allowInsecure and negative tests. */
export async function startPlainServer(handler: http.RequestListener): Promise<Started> {
  const server = http.createServer(handler);
  const started: Started = {
    server,
    port: 0,
    url: '',
    connections: 0,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', () => {
    started.connections++;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  started.port = (server.address() as AddressInfo).port;
  started.url = `http://127.0.0.1:${started.port}`;
  return started;
}

export function errorOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error & { code?: string }) => error,
  );
}
