#!/usr/bin/env node
// `pnpm soak`: SOAK_CONNECTIONS (default 10 000) concurrent secured connections through one sim server
// running in a child process, each exchanging SOAK_BYTES (default 16 384) each way, then all closed;
// then SOAK_REQUESTS (default 10 000) interleaved impersonating requests. Figures go to
// docs/RELIABILITY.md. Run through scripts/soak.sh (descriptor limit, --expose-gc).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createSimBackend } from '@wsasec/sim';
import {
  addPeers,
  adversarialRealm,
  runIdentitySoak,
  runSoak,
  SUITE_TIMINGS,
  saveResult,
} from '../dist/index.js';

const connections = Number(process.env.SOAK_CONNECTIONS ?? 10_000);
const bytes = Number(process.env.SOAK_BYTES ?? 16_384);
const requests = Number(process.env.SOAK_REQUESTS ?? 10_000);
const log = (line) => process.stdout.write(`${line}\n`);

const dir = mkdtempSync(join(tmpdir(), 'wsasec-soak-'));
const realm = adversarialRealm();
const realmPath = join(dir, 'realm.json');
await realm.save(realmPath);

const child = fork(new URL('./soak-server.mjs', import.meta.url), [realmPath], { execArgv: ['--expose-gc'] });
const { port } = await new Promise((resolve, reject) => {
  child.once('message', resolve);
  child.once('exit', (code) => reject(new Error(`the soak server exited with ${code}`)));
});
let nextId = 1;
function ask(type) {
  const id = nextId++;
  return new Promise((resolve) => {
    const onMessage = (m) => {
      if (m.id !== id) return;
      child.off('message', onMessage);
      resolve(m.value);
    };
    child.on('message', onMessage);
    child.send({ type, id });
  });
}

const client = createSimBackend({
  realm,
  machine: 'client.contoso.com',
  ...SUITE_TIMINGS,
  handshakeTimeout: 60_000,
});
log(`soak: ${connections} connections × ${bytes} bytes through a sim server on 127.0.0.1:${port}`);
const result = await runSoak({
  client,
  server: { port, stats: () => ask('stats'), heapAfterGc: () => ask('gc') },
  connections,
  bytes,
  concurrency: 256,
  log,
});
await client.close();
await ask('close');
log(JSON.stringify(result, null, 2));

const identityRealm = adversarialRealm();
addPeers(identityRealm, 50);
const identity = await runIdentitySoak(identityRealm, requests, 50);
log(JSON.stringify(identity));
rmSync(dir, { recursive: true, force: true });

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}, ${process.env.SOAK_FD_LIMIT ?? '?'} descriptors per process`;
const handles = result.server.after.handles - result.server.before.handles + result.client.handles;
saveResult('soak', {
  mode: connections >= 10_000 ? 'full' : 'short',
  machine,
  connections,
  concurrentAtServer: result.concurrentAtServer,
  exchangedOk: result.exchangedOk,
  bytesPerConnection: bytes,
  seconds: result.seconds,
  connectionsPerSecond: result.connectionsPerSecond,
  peakRssMiB: result.server.after.peakRssMiB,
  clientPeakRssMiB: result.client.peakRssMiB,
  heapBeforeMiB: result.server.heapBeforeMiB,
  heapAfterGcMiB: result.server.heapAfterMiB,
  openTokensAfter: result.server.after.openTokens + result.client.openTokens,
  openHandlesAfter: handles,
  identityRequests: identity.requests,
  identityLeaks: identity.leaks + identity.asyncLeaks,
});
const failed =
  result.concurrentAtServer !== connections ||
  result.exchangedOk !== connections ||
  result.server.after.openTokens + result.client.openTokens !== 0 ||
  handles !== 0 ||
  identity.leaks + identity.asyncLeaks !== 0;
process.exitCode = failed ? 1 : 0;
