import { createSimBackend, openTokenCount } from '@wsasec/sim';
import { afterAll, describe, expect, it } from 'vitest';
import { adversarialRealm, SUITE_TIMINGS } from '../src/harness/realm.js';
import { settle } from '../src/mitm/run.js';
import { openHandles, type SoakServer, startSoakServer } from '../src/soak/server.js';
import { addPeers, runIdentitySoak, runSoak } from '../src/soak/soak.js';

// The short version of `pnpm soak` (which runs 10 000 connections with the server in its own process).
const CONNECTIONS = 1_000;
const REQUESTS = 10_000;

describe('load and soak (short)', () => {
  let server: SoakServer | undefined;
  afterAll(async () => {
    await server?.close();
  });

  it(`holds ${CONNECTIONS} concurrent secured connections through one server, then frees everything`, async () => {
    const handlesBefore = openHandles();
    const realm = adversarialRealm();
    server = await startSoakServer(realm);
    const s = server;
    const client = createSimBackend({
      realm,
      machine: 'client.contoso.com',
      ...SUITE_TIMINGS,
      handshakeTimeout: 60_000,
    });
    const result = await runSoak({
      client,
      server: { port: s.port, stats: async () => s.stats(), heapAfterGc: async () => s.heapAfterGc() },
      connections: CONNECTIONS,
      bytes: 4096,
      concurrency: 128,
    });
    await client.close();
    expect(result.concurrentAtServer).toBe(CONNECTIONS);
    expect(result.exchangedOk).toBe(CONNECTIONS);
    expect(result.server.peak.accepted - result.server.before.accepted).toBe(CONNECTIONS);
    expect(result.server.after.open).toBe(0);
    expect(result.server.after.openTokens).toBe(0);
    expect(result.client.openTokens).toBe(0);
    await s.close();
    server = undefined;
    // A closed socket's handle is released on a later turn of the event loop.
    await settle(() => openHandles() <= handlesBefore, 5_000);
    expect(openHandles()).toBe(handlesBefore);
  }, 120_000);

  it(`${REQUESTS} interleaved requests, each impersonating its own peer, leak no identity`, async () => {
    const realm = adversarialRealm();
    addPeers(realm, 20);
    const result = await runIdentitySoak(realm, REQUESTS, 20);
    expect(result).toEqual({ requests: REQUESTS, peers: 20, leaks: 0, asyncLeaks: 0 });
    expect(openTokenCount()).toBe(0);
  }, 120_000);
});
