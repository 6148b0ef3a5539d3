/**
 * Runs one cell of the attack matrix: a sim client talks to a sim server through the man in the
 * middle, sends three secret messages, and everything both applications saw is recorded.
 * @module
 */

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { closeServer, listenServer, type SecureSocket, SecureSocketError, TOKEN_QUERY } from '@wsasec/core';
import { type RealmBackends, realmBackends } from '../harness/realm.js';
import { type MitmProxy, startMitmProxy } from './proxy.js';
import type { Scenario, SettingsCase } from './scenarios.js';

/** What both applications saw in one cell. */
export interface Observed {
  scenario: string;
  settings: string;
  /** The client's three messages (each carries a random secret). */
  messages: Buffer[];
  clientError?: string | undefined;
  clientSecured?: boolean;
  clientEncrypted?: boolean;
  /** The peer machine the client's query reported (with token access). */
  clientPeer?: string | undefined;
  clientReceived: Buffer;
  /** Connections the server application accepted (for replay-handshake: from the replay only). */
  serverConnections: number;
  serverSecured: boolean[];
  serverErrors: string[];
  serverReceived: Buffer;
  /** IKE codes of the negotiations the server refused. */
  serverRefusals: number[];
  /** Every error message either side produced (the leak scan reads them). */
  errorTexts: string[];
}

/** Waits until `done()` is true, at most `ms`; never throws (the assertions say what was missing). */
export async function settle(done: () => boolean, ms = 8_000): Promise<void> {
  const until = Date.now() + ms;
  while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
}

function describe(error: unknown): string {
  if (SecureSocketError.isInstance(error)) return error.code;
  return (error as Error)?.name ?? String(error);
}

function write(socket: SecureSocket, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || !socket.writable) return resolve();
    socket.write(bytes, () => resolve());
  });
}

/** Runs `scenario` under `settings` and returns what happened. */
export async function runCell(scenario: Scenario, settings: SettingsCase): Promise<Observed> {
  const backends = realmBackends();
  let proxy: MitmProxy | undefined;
  const serverSockets: SecureSocket[] = [];
  const observed: Observed = {
    scenario: scenario.name,
    settings: settings.name,
    messages: [1, 2, 3].map((i) => Buffer.from(`message-${i}:${randomBytes(12).toString('hex')};`)),
    clientReceived: Buffer.alloc(0),
    serverConnections: 0,
    serverSecured: [],
    serverErrors: [],
    serverReceived: Buffer.alloc(0),
    serverRefusals: [],
    errorTexts: [],
  };
  const target = scenario.relayToRogue ? backends.rogue : backends.server;
  const server = target.createServer({ security: settings.security }, (socket) => {
    serverSockets.push(socket);
    observed.serverConnections++;
    try {
      using info = socket.querySecurity();
      observed.serverSecured.push(info.secured);
    } catch (error) {
      observed.errorTexts.push((error as Error).message);
    }
    socket.on('data', (chunk: Buffer) => {
      observed.serverReceived = Buffer.concat([observed.serverReceived, chunk]);
    });
    socket.on('error', (error) => {
      observed.serverErrors.push(describe(error));
      observed.errorTexts.push(error.message);
    });
    socket.pipe(socket);
  });
  server.on('negotiationError', (error: SecureSocketError) => {
    observed.serverRefusals.push(error.negotiationError ?? 0);
    observed.errorTexts.push(error.message);
  });
  server.on('error', (error: Error) => observed.errorTexts.push(error.message));
  try {
    const { port } = await listenServer(server, { host: '127.0.0.1' });
    proxy = await startMitmProxy({ target: port, ...(scenario.tamper ? { tamper: scenario.tamper() } : {}) });
    await runClient(backends, proxy.port, settings, observed);
    const p = proxy;
    await settle(() => p.open === 0 && serverSockets.every((s) => s.destroyed));
    if (scenario.replayHandshake) await replay(proxy, port, observed, serverSockets);
  } finally {
    for (const s of serverSockets) s.destroy();
    server.closeAllConnections();
    await closeServer(server);
    await proxy?.close();
    await backends.close();
  }
  return observed;
}

async function runClient(
  backends: RealmBackends,
  port: number,
  settings: SettingsCase,
  observed: Observed,
): Promise<void> {
  let socket: SecureSocket;
  try {
    socket = await backends.client.connect({
      host: '127.0.0.1',
      port,
      security: settings.security,
      peerTargetName: 'host/server.contoso.com',
      timeout: 10_000,
    });
  } catch (error) {
    observed.clientError = describe(error);
    observed.errorTexts.push((error as Error).message);
    return;
  }
  try {
    using info = socket.querySecurity({ tokenAccess: TOKEN_QUERY });
    observed.clientSecured = info.secured;
    observed.clientEncrypted = info.encrypted;
    observed.clientPeer = info.peerMachineToken?.user.name;
  } catch (error) {
    observed.errorTexts.push((error as Error).message);
  }
  socket.on('data', (chunk: Buffer) => {
    observed.clientReceived = Buffer.concat([observed.clientReceived, chunk]);
  });
  socket.on('error', (error) => observed.errorTexts.push(error.message));
  const closed = once(socket, 'close').catch(() => {});
  for (const message of observed.messages) await write(socket, message);
  socket.end();
  await Promise.race([closed, new Promise((r) => setTimeout(r, 8_000))]);
  socket.destroy();
}

/** Replays the client half of the recorded first connection to the server, as a new client. */
async function replay(
  proxy: MitmProxy,
  port: number,
  observed: Observed,
  serverSockets: SecureSocket[],
): Promise<void> {
  const units = proxy.recorded.filter((u) => u.connection === 0 && u.direction === 'c2s');
  const [first, ...rest] = units;
  const before = observed.serverConnections;
  const refusedBefore = observed.serverRefusals.length;
  const receivedBefore = observed.serverReceived.length;
  if (!first) return;
  const tcp = connect({ host: '127.0.0.1', port });
  tcp.on('error', () => {});
  let answered = false;
  tcp.on('data', () => {
    answered = true;
  });
  await once(tcp, 'connect');
  tcp.write(first.bytes);
  await settle(() => answered || tcp.destroyed, 3_000);
  await new Promise((r) => setTimeout(r, 50));
  for (const unit of rest) if (!tcp.destroyed) tcp.write(unit.bytes);
  await settle(() => tcp.destroyed || tcp.readableEnded || observed.serverRefusals.length > refusedBefore);
  tcp.destroy();
  await settle(() => serverSockets.every((s) => s.destroyed));
  observed.serverRefusals = observed.serverRefusals.slice(refusedBefore);
  observed.serverConnections -= before;
  observed.serverReceived = observed.serverReceived.subarray(receivedBefore);
  observed.serverSecured = observed.serverSecured.slice(before);
}
