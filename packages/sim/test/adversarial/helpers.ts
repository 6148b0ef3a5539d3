import type { SecureServer, SecureSocket, SecureSocketBackend, SecureSocketError } from '@wsasec/core';
import { contosoRealm, Harness } from '../support/fixture.js';
import { type Mitm, type Rewrite, startMitm } from '../support/mitm.js';

/** What the adversarial tests open; `close()` in afterEach. */
export const h = new Harness();
const proxies: Mitm[] = [];

/** Closes every proxy and everything the harness opened. */
export async function closeAll(): Promise<void> {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await h.close();
}

/** The name the server holds. */
export const TARGET = 'host/server.contoso.com';
/** Bytes that must never be seen in clear. */
export const SECRET = 'SECRET-7f3a9c-do-not-leak';

export interface World {
  client: SecureSocketBackend;
  server: SecureSocketBackend;
  srv: SecureServer;
  port: number;
  accepted: SecureSocket[];
  refusals: SecureSocketError[];
}

export async function world(opts: { encryption?: boolean; handshakeTimeout?: number } = {}): Promise<World> {
  const realm = contosoRealm();
  const server = h.backend({
    realm,
    machine: 'server.contoso.com',
    handshakeTimeout: opts.handshakeTimeout ?? 2000,
  });
  const client = h.backend({
    realm,
    machine: 'client.contoso.com',
    handshakeTimeout: opts.handshakeTimeout ?? 2000,
  });
  const accepted: SecureSocket[] = [];
  const refusals: SecureSocketError[] = [];
  const security = opts.encryption ? { guaranteeEncryption: true } : undefined;
  const { server: srv, port } = await h.server(server, security ? { security } : {}, (s) => {
    s.on('error', () => {});
    accepted.push(s);
  });
  srv.on('negotiationError', (e: SecureSocketError) => refusals.push(e));
  return { client, server, srv, port, accepted, refusals };
}

export async function through(w: World, rewrite: { up?: Rewrite; down?: Rewrite }): Promise<Mitm> {
  const mitm = await startMitm(w.port, rewrite);
  proxies.push(mitm);
  return mitm;
}

/** Collects what a socket delivers and how it ends. */
export function watch(socket: SecureSocket) {
  const chunks: Buffer[] = [];
  const done = new Promise<{ error?: SecureSocketError; ended: boolean }>((resolve) => {
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('error', (error: SecureSocketError) => resolve({ error, ended: false }));
    socket.once('end', () => resolve({ ended: true }));
    socket.once('close', () => resolve({ ended: false }));
  });
  return { data: () => Buffer.concat(chunks).toString(), done };
}

export async function acceptedOne(w: World): Promise<SecureSocket> {
  while (w.accepted.length === 0) await new Promise((r) => setImmediate(r));
  return w.accepted[0] as SecureSocket;
}
