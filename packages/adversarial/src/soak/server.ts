/**
 * The server side of the soak: one sim server that echoes, opens and closes the peer tokens of every
 * connection it accepts, and reports its memory, open tokens and open handles. It runs in the test
 * process (short run) or in a child process of its own (full run, so that each process stays under
 * the file-descriptor limit).
 * @module
 */
import { TOKEN_QUERY } from '@wsasec/core';
import { createSimBackend, openTokenCount, type SimRealm } from '@wsasec/sim';
import { type EchoServer, startEchoServer } from '../harness/echo.js';
import { SUITE_TIMINGS } from '../harness/realm.js';

/** What the server reports. */
export interface SoakServerStats {
  accepted: number;
  open: number;
  rssMiB: number;
  peakRssMiB: number;
  heapMiB: number;
  openTokens: number;
  /** Sockets and servers still open in the process (from `process.getActiveResourcesInfo()`). */
  handles: number;
}

/** A running soak server. */
export interface SoakServer {
  port: number;
  /** Collects garbage (when exposed) and returns the heap in MiB. */
  heapAfterGc(): number;
  stats(): SoakServerStats;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

/** Sockets and servers the process holds open. */
export function openHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => /TCP|Pipe/.test(r)).length;
}

/** Runs `global.gc` when node was started with --expose-gc; returns the heap in MiB. */
export function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / MiB;
}

/** Starts the soak server of machine `server.contoso.com` of `realm`. */
export async function startSoakServer(realm: SimRealm): Promise<SoakServer> {
  const backend = createSimBackend({
    realm,
    machine: 'server.contoso.com',
    ...SUITE_TIMINGS,
    handshakeTimeout: 60_000,
    maxConcurrentHandshakes: 1024,
  });
  let accepted = 0;
  let echo: EchoServer | undefined;
  echo = await startEchoServer(backend);
  echo.server.on('connection', (socket) => {
    accepted++;
    using info = socket.querySecurity({ tokenAccess: TOKEN_QUERY });
    if (!info.secured || !info.peerMachineToken) socket.destroy();
  });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  sampler.unref();
  return {
    port: echo.port,
    heapAfterGc,
    stats() {
      const rss = process.memoryUsage().rss;
      peak = Math.max(peak, rss);
      // Accepted sockets are kept by the echo harness; count the ones still open.
      const open = echo ? echo.accepted.filter((s) => !s.destroyed).length : 0;
      if (echo) echo.accepted.splice(0, echo.accepted.length, ...echo.accepted.filter((s) => !s.destroyed));
      return {
        accepted,
        open,
        rssMiB: rss / MiB,
        peakRssMiB: peak / MiB,
        heapMiB: process.memoryUsage().heapUsed / MiB,
        openTokens: openTokenCount(),
        handles: openHandles(),
      };
    },
    async close() {
      clearInterval(sampler);
      await echo?.close();
      echo = undefined;
      await backend.close();
    },
  };
}
