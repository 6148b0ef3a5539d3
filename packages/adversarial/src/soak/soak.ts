/**
 * The load and soak runs: many concurrent secured connections through one sim server (each
 * exchanging data, then all closed), and many interleaved requests each impersonating its own peer.
 * @module
 */

import { randomBytes } from 'node:crypto';
import {
  closeServer,
  listenServer,
  type SecureSocket,
  type SecureSocketBackend,
  TOKEN_QUERY,
} from '@wsasec/core';
import { createSimBackend, openTokenCount, type SimRealm } from '@wsasec/sim';
import { readBytes } from '../harness/echo.js';
import { SUITE_TIMINGS } from '../harness/realm.js';
import { settle } from '../mitm/run.js';
import type { SoakServerStats } from './server.js';
import { heapAfterGc, openHandles } from './server.js';

/** The server as the soak sees it (in-process or in a child process). */
export interface SoakServerHandle {
  port: number;
  stats(): Promise<SoakServerStats>;
  /** The server's heap after GC (MiB). */
  heapAfterGc(): Promise<number>;
}

/** Options of {@link runSoak}. */
export interface SoakOptions {
  client: SecureSocketBackend;
  server: SoakServerHandle;
  connections: number;
  /** Bytes each connection sends (and reads back). */
  bytes: number;
  /** Connects in flight at once. */
  concurrency: number;
  log?: (line: string) => void;
}

/** What a soak run measured. */
export interface SoakResult {
  connections: number;
  /** Connections the server held open at once. */
  concurrentAtServer: number;
  seconds: number;
  connectionsPerSecond: number;
  exchangedOk: number;
  server: {
    before: SoakServerStats;
    peak: SoakServerStats;
    after: SoakServerStats;
    heapBeforeMiB: number;
    heapAfterMiB: number;
  };
  client: {
    peakRssMiB: number;
    heapBeforeMiB: number;
    heapAfterMiB: number;
    openTokens: number;
    handles: number;
  };
}

async function pool<T>(count: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}

/** Opens every connection, keeps them all open, exchanges data on each, then closes them all. */
export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? (() => {});
  const heapBeforeMiB = heapAfterGc();
  const handlesBefore = openHandles();
  const serverHeapBefore = await opts.server.heapAfterGc();
  const before = await opts.server.stats();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  const sockets: SecureSocket[] = await pool(opts.connections, opts.concurrency, async (i) => {
    const socket = await opts.client.connect({
      host: '127.0.0.1',
      port: opts.server.port,
      security: {},
      peerTargetName: 'host/server.contoso.com',
      timeout: 120_000,
    });
    socket.on('error', () => {});
    if ((i + 1) % 1000 === 0) log(`${i + 1} connections open`);
    return socket;
  });
  const peak = await opts.server.stats();
  log(`all ${sockets.length} open; the server holds ${peak.open}`);
  const payload = randomBytes(opts.bytes);
  const exchanged = await pool(sockets.length, opts.concurrency, async (i) => {
    const socket = sockets[i] as SecureSocket;
    socket.write(payload);
    return (await readBytes(socket, payload.length)).equals(payload);
  });
  for (const s of sockets) s.end();
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.destroyed) return resolve();
          s.once('close', () => resolve());
          s.resume();
        }),
    ),
  );
  let after = await opts.server.stats();
  for (let i = 0; i < 200 && after.open > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    after = await opts.server.stats();
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  sockets.length = 0;
  const serverHeapAfter = await opts.server.heapAfterGc();
  // A closed socket's handle is released on a later turn of the event loop.
  await settle(() => openHandles() <= handlesBefore, 5_000);
  for (let i = 0; i < 100 && after.handles > before.handles; i++) {
    await new Promise((r) => setTimeout(r, 50));
    after = await opts.server.stats();
  }
  return {
    connections: opts.connections,
    concurrentAtServer: peak.open,
    seconds,
    connectionsPerSecond: opts.connections / seconds,
    exchangedOk: exchanged.filter(Boolean).length,
    server: { before, peak, after, heapBeforeMiB: serverHeapBefore, heapAfterMiB: serverHeapAfter },
    client: {
      peakRssMiB: peakRss / (1024 * 1024),
      heapBeforeMiB,
      heapAfterMiB: heapAfterGc(),
      openTokens: openTokenCount(),
      handles: openHandles() - handlesBefore,
    },
  };
}

/** What the identity run found. */
export interface IdentityResult {
  requests: number;
  peers: number;
  /** Requests whose identity inside impersonation was not their own peer. */
  leaks: number;
  /** Continuations that ran after impersonation and still saw a peer identity. */
  asyncLeaks: number;
}

/**
 * `requests` requests interleaved over `peers` connections, one per client machine: the server
 * impersonates each request's peer, checks `currentIdentity()` inside, and checks again in an async
 * continuation started inside (which must see the server itself).
 */
export async function runIdentitySoak(
  realm: SimRealm,
  requests: number,
  peers: number,
): Promise<IdentityResult> {
  const server = createSimBackend({ realm, machine: 'server.contoso.com', ...SUITE_TIMINGS });
  const self = server.currentIdentity().sid;
  let leaks = 0;
  let asyncLeaks = 0;
  let served = 0;
  const pending: Promise<void>[] = [];
  const accepted: SecureSocket[] = [];
  const listener = server.createServer({ security: {} }, (socket) => {
    accepted.push(socket);
    socket.on('error', () => {});
    using info = socket.querySecurity({ tokenAccess: TOKEN_QUERY });
    const expected = info.peerMachineToken?.user.sid;
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        socket.impersonatePeer(() => {
          if (server.currentIdentity().sid !== expected) leaks++;
          pending.push(
            Promise.resolve().then(() => {
              if (server.currentIdentity().sid !== self) asyncLeaks++;
            }),
          );
        });
        if (server.currentIdentity().sid !== self) leaks++;
        served++;
        socket.write(`${line}\n`);
      }
    });
  });
  const { port } = await listenServer(listener, { host: '127.0.0.1' });
  const clients = Array.from({ length: peers }, (_, i) =>
    createSimBackend({ realm, machine: `peer${i}.contoso.com`, ...SUITE_TIMINGS }),
  );
  try {
    const sockets = await Promise.all(
      clients.map((c) =>
        c.connect({ host: '127.0.0.1', port, security: {}, peerTargetName: 'host/server.contoso.com' }),
      ),
    );
    // Interleave: every connection has many requests in flight at once.
    for (let r = 0; r < requests; r++) (sockets[r % peers] as SecureSocket).write(`request ${r}\n`);
    await settle(() => served >= requests, 120_000);
    await Promise.all(pending);
    for (const s of sockets) s.destroy();
  } finally {
    for (const s of accepted) s.destroy();
    listener.closeAllConnections();
    await closeServer(listener);
    await Promise.all([server.close(), ...clients.map((c) => c.close())]);
  }
  return { requests: served, peers, leaks, asyncLeaks };
}

/** Adds `count` client machines (`peer0.contoso.com` …) to `realm`. */
export function addPeers(realm: SimRealm, count: number): void {
  for (let i = 0; i < count; i++) realm.addMachine(`peer${i}.contoso.com`);
}
