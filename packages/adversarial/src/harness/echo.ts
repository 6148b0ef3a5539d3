/**
 * An echo server and a one-message client on sim backends, with everything a bounds or load test
 * needs to check afterwards (accepted sockets, refusals, errors) and to close.
 * @module
 */

import type {
  SecureServer,
  SecureSocket,
  SecureSocketBackend,
  SecureSocketError,
  SecuritySettings,
} from '@wsasec/core';
import { closeServer, listenServer } from '@wsasec/core';

/** A listening echo server. */
export interface EchoServer {
  server: SecureServer;
  port: number;
  accepted: SecureSocket[];
  /** IKE codes of refused negotiations. */
  refusals: number[];
  /** Codes of errors on accepted sockets. */
  errors: string[];
  close(): Promise<void>;
}

/** Starts an echo server on 127.0.0.1. */
export async function startEchoServer(
  backend: SecureSocketBackend,
  security: SecuritySettings = {},
): Promise<EchoServer> {
  const accepted: SecureSocket[] = [];
  const refusals: number[] = [];
  const errors: string[] = [];
  const server = backend.createServer({ security }, (socket) => {
    accepted.push(socket);
    socket.on('error', (error: SecureSocketError) => errors.push(error.code ?? error.name));
    socket.pipe(socket);
  });
  server.on('negotiationError', (error: SecureSocketError) => refusals.push(error.negotiationError ?? 0));
  server.on('error', () => {});
  const { port } = await listenServer(server, { host: '127.0.0.1' });
  return {
    server,
    port,
    accepted,
    refusals,
    errors,
    async close() {
      for (const s of accepted) s.destroy();
      server.closeAllConnections();
      await closeServer(server);
    },
  };
}

/** Reads exactly `n` bytes (or what came before the socket ended). */
export async function readBytes(socket: SecureSocket, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < n && !socket.destroyed) {
    const chunk = socket.read() as Buffer | null;
    if (chunk) {
      parts.push(chunk);
      got += chunk.length;
      continue;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        socket.off('readable', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('readable', done);
      socket.on('close', done);
    });
  }
  return Buffer.concat(parts);
}

/** Connects, sends `message`, returns its echo, and closes. */
export async function echoOnce(
  backend: SecureSocketBackend,
  port: number,
  message: Buffer,
  security: SecuritySettings = {},
): Promise<Buffer> {
  const socket = await backend.connect({
    host: '127.0.0.1',
    port,
    security,
    peerTargetName: 'host/server.contoso.com',
    timeout: 10_000,
  });
  socket.on('error', () => {});
  try {
    socket.write(message);
    return await readBytes(socket, message.length);
  } finally {
    socket.destroy();
  }
}
