// Benchmark of @wsasec/sim against Node's own TLS 1.3 (AES-256-GCM, mutual certificate
// authentication), raw TCP and plain dgram, side by side in one run on loopback: bulk throughput at
// 1, 16, 64 and 256 KiB writes (cold and warm), round-trip latency, handshakes/s, memory per idle
// connection, and a datagram burst. Run after a build: `node --expose-gc bench/sim-bench.mjs` (the
// package's `bench` script does both). Writes bench/RESULTS.md and its section of
// docs/PERFORMANCE.md (`--no-docs`: not the latter). Never run as a test: these are timings.

import * as dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { closeServer, listenServer } from '@wsasec/core';
import { writeSection } from '../../../scripts/bench-section.mjs';
import { createSimBackend, createSimRealm } from '../dist/index.js';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const fixture = (name) => readFileSync(here(`./fixtures/${name}`));
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const BULK_BYTES = Number(args.get('bulk-mib') ?? 256) * 1024 * 1024;
const ROUNDS = Number(args.get('rounds') ?? 5);
const WARMUP_ROUNDS = Number(args.get('warmup') ?? 2);
const HANDSHAKE_SECONDS = Number(args.get('handshake-seconds') ?? 2);
const IDLE_CONNECTIONS = Number(args.get('idle') ?? 500);
const CHUNK = Buffer.alloc(256 * 1024, 0x5a);

const TLS_SERVER = {
  key: fixture('server.key'),
  cert: fixture('server.crt'),
  ca: fixture('ca.crt'),
  requestCert: true,
  rejectUnauthorized: true,
  minVersion: 'TLSv1.3',
  ciphersuites: 'TLS_AES_256_GCM_SHA384',
};
const TLS_CLIENT = {
  key: fixture('client.key'),
  cert: fixture('client.crt'),
  ca: fixture('ca.crt'),
  servername: 'localhost',
  minVersion: 'TLSv1.3',
  ciphersuites: 'TLS_AES_256_GCM_SHA384',
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- the three kinds of connection pairs --------------------------------------------------------

async function rawPair() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise((r) => server.once('connection', r));
  const client = net.connect(server.address().port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  const end = await accepted;
  return {
    client,
    server: end,
    close: () => {
      client.destroy();
      end.destroy();
      server.close();
    },
  };
}

async function tlsPair() {
  const server = tls.createServer(TLS_SERVER);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise((r) => server.once('secureConnection', r));
  const client = tls.connect({ ...TLS_CLIENT, host: '127.0.0.1', port: server.address().port });
  await new Promise((r, j) => client.once('secureConnect', r).once('error', j));
  const end = await accepted;
  return {
    client,
    server: end,
    close: () => {
      client.destroy();
      end.destroy();
      server.close();
    },
  };
}

function simWorld() {
  const realm = createSimRealm({ domain: 'CONTOSO', dnsDomain: 'contoso.com' });
  realm.addMachine('server.contoso.com');
  realm.addMachine('client.contoso.com');
  return {
    server: createSimBackend({ realm, machine: 'server.contoso.com' }),
    client: createSimBackend({ realm, machine: 'client.contoso.com' }),
  };
}

async function simPair(world, security) {
  const server = world.server.createServer({ security });
  const { port } = await listenServer(server, { host: '127.0.0.1' });
  const accepted = new Promise((r) => server.once('connection', r));
  const client = await world.client.connect({
    host: '127.0.0.1',
    port,
    security,
    peerTargetName: 'host/server.contoso.com',
  });
  const end = await accepted;
  return {
    client,
    server: end,
    close: async () => {
      client.destroy();
      end.destroy();
      await closeServer(server);
    },
  };
}

// ---- bulk throughput at several write sizes -----------------------------------------------------

const SIZES = [1024, 16 * 1024, 64 * 1024, 256 * 1024];
const KINDS = ['raw', 'tls', 'simEncrypted', 'simIntegrity'];
const sizeName = (n) => `${n / 1024} KiB`;
// Bytes per measured transfer: enough for a few hundred milliseconds at the slowest contender.
const bytesFor = (size) => (size <= 1024 ? BULK_BYTES / 8 : BULK_BYTES / 2);

function makePair(world, kind) {
  if (kind === 'raw') return rawPair();
  if (kind === 'tls') return tlsPair();
  return simPair(world, kind === 'simEncrypted' ? { guaranteeEncryption: true } : undefined);
}

/**
 * The client writes `total` bytes in `size`-byte writes as fast as the stream takes them (each
 * write() until it returns false, then on 'drain'), the server counts what it reads. MB/s.
 */
function bulk({ client, server }, total, size = CHUNK.length) {
  const chunk = CHUNK.subarray(0, size);
  return new Promise((resolve, reject) => {
    let got = 0;
    const t0 = process.hrtime.bigint();
    const onData = (d) => {
      got += d.length;
      if (got >= total) {
        server.off('data', onData);
        resolve(total / 1e6 / (Number(process.hrtime.bigint() - t0) / 1e9));
      }
    };
    server.on('data', onData);
    server.once('error', reject);
    client.once('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += size;
        if (!client.write(chunk)) return void client.once('drain', pump);
      }
    };
    pump();
  });
}

/** Alternates the order of the contenders round by round, so drift in crypto speed hits all alike. */
const orderOf = (round) => (round % 2 === 0 ? KINDS : [...KINDS].reverse());

async function measureBulk(world) {
  // Cold: a fresh process (nothing has run yet) and a fresh connection, one transfer of each size.
  const cold = {};
  for (const [i, size] of SIZES.entries()) {
    cold[size] = {};
    for (const kind of orderOf(i)) {
      const pair = await makePair(world, kind);
      cold[size][kind] = await bulk(pair, bytesFor(size) / 4, size);
      await pair.close();
    }
  }
  // Warm-up to a steady state (JIT of both threads, heap sizes, the kernel's socket buffers).
  for (let i = 0; i < WARMUP_ROUNDS; i++) {
    for (const kind of orderOf(i)) {
      const pair = await makePair(world, kind);
      await bulk(pair, 128 * 1024 * 1024, 64 * 1024);
      await bulk(pair, 8 * 1024 * 1024, 1024);
      await pair.close();
    }
  }
  // Warm: every round a new connection per contender, warmed with a quarter of the transfer first.
  const rounds = {};
  for (const size of SIZES) {
    rounds[size] = Object.fromEntries(KINDS.map((k) => [k, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of orderOf(round)) {
        const pair = await makePair(world, kind);
        await bulk(pair, bytesFor(size) / 4, size);
        rounds[size][kind].push(await bulk(pair, bytesFor(size), size));
        await pair.close();
      }
    }
    console.log(
      `bulk ${sizeName(size)} MB/s:`,
      Object.fromEntries(KINDS.map((k) => [k, rounds[size][k].map((x) => Math.round(x))])),
    );
  }
  const warm = Object.fromEntries(
    SIZES.map((size) => [size, Object.fromEntries(KINDS.map((k) => [k, median(rounds[size][k])]))]),
  );
  return { cold, warm, rounds };
}

// ---- round-trip latency: 1-byte ping-pong on an established connection ----------------------------

async function pingPong({ client }, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise((resolve) => {
      client.once('data', resolve);
      client.write('x');
    });
    times.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], p90: times[Math.floor(times.length * 0.9)] };
}

async function measureLatency(world) {
  const out = Object.fromEntries(KINDS.map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of orderOf(round)) {
      const pair = await makePair(world, kind);
      pair.server.on('data', (d) => pair.server.write(d));
      await pingPong(pair, 200);
      out[kind].push(await pingPong(pair, 1000));
      await pair.close();
    }
  }
  return Object.fromEntries(
    KINDS.map((k) => [
      k,
      { median: median(out[k].map((x) => x.median)), p90: median(out[k].map((x) => x.p90)) },
    ]),
  );
}

// ---- handshakes per second (sequential) -----------------------------------------------------------

async function handshakesPerSecond(connectOnce) {
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < HANDSHAKE_SECONDS * 1000) {
    await connectOnce();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function measureHandshakes(world) {
  const tlsServer = tls.createServer(TLS_SERVER, (s) => {
    s.on('error', () => {});
    s.destroy();
  });
  await new Promise((r) => tlsServer.listen(0, '127.0.0.1', r));
  const tlsPort = tlsServer.address().port;
  const tlsContext = tls.createSecureContext(TLS_CLIENT);
  // Both ends established, then both closed; the next handshake starts after that.
  const tlsOnce = () =>
    new Promise((resolve, reject) => {
      let done = 0;
      let client;
      const both = () => {
        if (++done < 2) return;
        client.destroy();
        resolve();
      };
      tlsServer.once('secureConnection', both);
      client = tls.connect({ ...TLS_CLIENT, secureContext: tlsContext, host: '127.0.0.1', port: tlsPort });
      client.once('secureConnect', both);
      client.once('error', reject);
    });
  const simServer = world.server.createServer({}, (s) => {
    s.on('error', () => {});
    s.destroy();
  });
  const { port: simPort } = await listenServer(simServer, { host: '127.0.0.1' });
  const simOnce = () =>
    new Promise((resolve, reject) => {
      let done = 0;
      let client;
      const both = () => {
        if (++done < 2) return;
        client.destroy();
        resolve();
      };
      simServer.once('connection', both);
      world.client
        .connect({ host: '127.0.0.1', port: simPort, peerTargetName: 'host/server.contoso.com' })
        .then((c) => {
          client = c;
          c.on('error', () => {});
          both();
        }, reject);
    });
  // Warm both up, then alternate.
  for (let i = 0; i < 50; i++) {
    await tlsOnce();
    await simOnce();
  }
  const tlsRates = [];
  const simRates = [];
  for (let round = 0; round < ROUNDS; round++) {
    tlsRates.push(await handshakesPerSecond(tlsOnce));
    simRates.push(await handshakesPerSecond(simOnce));
  }
  tlsServer.close();
  await closeServer(simServer);
  return { tls: median(tlsRates), sim: median(simRates) };
}

// ---- memory per idle connection -------------------------------------------------------------------

function settle() {
  for (let i = 0; i < 4; i++) globalThis.gc?.();
  return new Promise((r) => setTimeout(r, 200));
}

async function memoryPerConnection(open) {
  await settle();
  const before = process.memoryUsage();
  const pairs = [];
  for (let i = 0; i < IDLE_CONNECTIONS; i++) pairs.push(await open());
  await settle();
  const after = process.memoryUsage();
  for (const p of pairs) await p.close();
  await settle();
  const per = (k) => (after[k] - before[k]) / IDLE_CONNECTIONS;
  return { rss: per('rss'), heap: per('heapUsed') + per('external') };
}

async function measureMemory(world) {
  const tlsServer = tls.createServer(TLS_SERVER);
  await new Promise((r) => tlsServer.listen(0, '127.0.0.1', r));
  const tlsContext = tls.createSecureContext(TLS_CLIENT);
  const tlsOpen = async () => {
    const accepted = new Promise((r) => tlsServer.once('secureConnection', r));
    const c = tls.connect({
      ...TLS_CLIENT,
      secureContext: tlsContext,
      host: '127.0.0.1',
      port: tlsServer.address().port,
    });
    await new Promise((r) => c.once('secureConnect', r));
    const s = await accepted;
    c.on('error', () => {});
    s.on('error', () => {});
    return {
      close: () => {
        c.destroy();
        s.destroy();
      },
    };
  };
  const simServer = world.server.createServer({});
  const { port } = await listenServer(simServer, { host: '127.0.0.1' });
  const simOpen = async () => {
    const accepted = new Promise((r) => simServer.once('connection', r));
    const c = await world.client.connect({
      host: '127.0.0.1',
      port,
      peerTargetName: 'host/server.contoso.com',
    });
    const s = await accepted;
    c.on('error', () => {});
    s.on('error', () => {});
    return {
      close: () => {
        c.destroy();
        s.destroy();
      },
    };
  };
  const tlsMem = await memoryPerConnection(tlsOpen);
  const simMem = await memoryPerConnection(simOpen);
  tlsServer.close();
  simServer.closeAllConnections();
  await closeServer(simServer);
  return { tls: tlsMem, sim: simMem };
}

// ---- datagrams: a paced burst, secured vs plain dgram ---------------------------------------------

const BURST = Number(args.get('burst') ?? 2000);
// Below libuv's 32 datagrams read per loop iteration: plain dgram loses none at this pacing.
const BURST_BATCH = 20;
const DATAGRAM = Buffer.alloc(64, 0x61);

/** Sends BURST datagrams in batches of BURST_BATCH per event-loop turn; counts what arrives. */
async function burst(send, receiver) {
  let got = 0;
  let last = 0n;
  receiver.on('message', () => {
    got++;
    last = process.hrtime.bigint();
  });
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < BURST; ) {
    const batch = [];
    for (let i = 0; i < BURST_BATCH && sent < BURST; i++, sent++) batch.push(send(DATAGRAM));
    await Promise.all(batch);
    await new Promise((r) => setImmediate(r));
  }
  // Quiet for 300 ms: whatever has not arrived by then is lost.
  for (let seen = -1; seen !== got; ) {
    seen = got;
    await new Promise((r) => setTimeout(r, 300));
  }
  receiver.removeAllListeners('message');
  const seconds = Number((last || process.hrtime.bigint()) - t0) / 1e9;
  return { rate: got / seconds, loss: 1 - got / BURST };
}

async function plainBurst() {
  const receiver = dgram.createSocket('udp4');
  const sender = dgram.createSocket('udp4');
  await new Promise((r) => receiver.bind(0, '127.0.0.1', r));
  const { port } = receiver.address();
  const result = await burst(
    (d) => new Promise((r) => sender.send(d, port, '127.0.0.1', () => r())),
    receiver,
  );
  sender.close();
  receiver.close();
  return result;
}

async function simBurst(world, security) {
  const receiver = world.server.createSocket({ type: 'dgram' });
  receiver.setSecurity(security);
  const { port } = await receiver.bind({ address: '127.0.0.1' });
  const sender = world.client.createSocket({ type: 'dgram' });
  sender.setSecurity(security);
  const peer = { address: '127.0.0.1', port };
  // The first send negotiates the SA; the burst measures the secured traffic after it.
  await new Promise((resolve, reject) => {
    receiver.once('message', resolve);
    sender.send('hello', peer).catch(reject);
  });
  const result = await burst((d) => sender.send(d, peer), receiver);
  await new Promise((r) => sender.close(r));
  await new Promise((r) => receiver.close(r));
  return result;
}

async function measureDatagrams(world) {
  const kinds = {
    plain: () => plainBurst(),
    simEncrypted: () => simBurst(world, { guaranteeEncryption: true }),
    simIntegrity: () => simBurst(world, undefined),
  };
  const out = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  const names = Object.keys(kinds);
  for (let round = 0; round < ROUNDS; round++) {
    for (const k of round % 2 === 0 ? names : [...names].reverse()) out[k].push(await kinds[k]());
  }
  return Object.fromEntries(
    names.map((k) => [
      k,
      {
        rate: median(out[k].map((x) => x.rate)),
        loss: median(out[k].map((x) => x.loss)),
        worstLoss: Math.max(...out[k].map((x) => x.loss)),
      },
    ]),
  );
}

// ---- report -----------------------------------------------------------------------------------------

const world = simWorld();
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const machine = `${cpu}, ${os.cpus().length} cores, Node ${process.version}, ${os.platform()} ${os.release()}`;
console.log(`machine: ${machine}`);
const started = performance.now();
// `--only=bulk,latency,handshakes,memory,datagrams` runs a subset (for profiling; no report).
const only = args.get('only')?.split(',');
const run = (name) => !only || only.includes(name);
const b = run('bulk') ? await measureBulk(world) : undefined;
const lat = run('latency') ? await measureLatency(world) : undefined;
if (lat) console.log('round trip µs', lat);
const h = run('handshakes') ? await measureHandshakes(world) : undefined;
if (h) console.log('handshakes/s', h);
const m = run('memory') ? await measureMemory(world) : undefined;
if (m) console.log('bytes per idle connection pair', m);
const dg = run('datagrams') ? await measureDatagrams(world) : undefined;
if (dg) console.log('datagrams', dg);
await world.client.close();
await world.server.close();
const elapsed = (performance.now() - started) / 1000;
if (only) process.exit(0);

const f = (x, d = 0) => x.toFixed(d);
const r2 = (a, b2) => `${(a / b2).toFixed(2)}×`;
const kib = (x) => `${(x / 1024).toFixed(1)} KiB`;
const pct = (x) => `${(x * 100).toFixed(1)}%`;
const bulkRow = (label, set, size) => {
  const v = set[size];
  return `| ${sizeName(size)} ${label} | ${f(v.simEncrypted)} | ${f(v.simIntegrity)} | ${f(v.tls)} | ${f(v.raw)} | **${r2(v.simEncrypted, v.tls)}** | ${r2(v.simIntegrity, v.tls)} | ${r2(v.simEncrypted, v.raw)} |`;
};

const section = `Measured by \`pnpm bench\` (packages/sim: \`node --expose-gc bench/sim-bench.mjs\`) on ${new Date().toISOString().slice(0, 10)}, ${f(elapsed)} s.
One process, loopback, client and server on the same event loop; warm figures are medians of ${ROUNDS} rounds,
contenders alternating order every round. Machine: ${machine}.

Bulk transfer, MB/s (the client writes chunks of the given size as fast as the stream takes them):

| write size | sim encrypted | sim integrity-only | TLS 1.3 | raw TCP | **enc / TLS** | int / TLS | enc / raw |
|---|---|---|---|---|---|---|---|
${SIZES.map((s2) => bulkRow('warm', b.warm, s2)).join('\n')}
${SIZES.map((s2) => bulkRow('cold', b.cold, s2)).join('\n')}

Warm rounds (MB/s): ${SIZES.map((s2) => `${sizeName(s2)}: ${KINDS.map((k) => `${k} ${b.rounds[s2][k].map((x) => f(x)).join('/')}`).join('; ')}`).join(' — ')}.

| measure | sim | TLS 1.3 mutual | raw TCP | ratio |
|---|---|---|---|---|
| 1-byte round trip on an open connection, median (p90) | enc ${f(lat.simEncrypted.median)} µs (${f(lat.simEncrypted.p90)}), int ${f(lat.simIntegrity.median)} µs | ${f(lat.tls.median)} µs (${f(lat.tls.p90)}) | ${f(lat.raw.median)} µs (${f(lat.raw.p90)}) | ${r2(lat.simEncrypted.median, lat.tls.median)} TLS (lower is faster) |
| handshakes per second (sequential, TCP connect included) | ${f(h.sim)} | ${f(h.tls)} | | **${r2(h.sim, h.tls)}** |
| memory per idle connection pair, RSS (${IDLE_CONNECTIONS} pairs) | ${kib(m.sim.rss)} | ${kib(m.tls.rss)} | | ${r2(m.sim.rss, m.tls.rss)} |
| memory per idle connection pair, JS heap + external | ${kib(m.sim.heap)} | ${kib(m.tls.heap)} | | ${r2(m.sim.heap, m.tls.heap)} |

Datagrams: a burst of ${BURST} datagrams of ${DATAGRAM.length} bytes, ${BURST_BATCH} per event-loop turn, medians of ${ROUNDS} rounds:

| contender | delivered/s | loss (median) | loss (worst round) | rate vs dgram |
|---|---|---|---|---|
| plain dgram | ${f(dg.plain.rate)} | ${pct(dg.plain.loss)} | ${pct(dg.plain.worstLoss)} | 1.00× |
| sim encrypted | ${f(dg.simEncrypted.rate)} | ${pct(dg.simEncrypted.loss)} | ${pct(dg.simEncrypted.worstLoss)} | ${r2(dg.simEncrypted.rate, dg.plain.rate)} |
| sim integrity-only | ${f(dg.simIntegrity.rate)} | ${pct(dg.simIntegrity.loss)} | ${pct(dg.simIntegrity.worstLoss)} | ${r2(dg.simIntegrity.rate, dg.plain.rate)} |
`;

console.log(`\n${section}`);
// `--no-write`: print the tables only (a smoke run must not overwrite the recorded results).
if (args.has('no-write')) process.exit(0);
writeFileSync(
  here('./RESULTS.md'),
  `# @wsasec/sim benchmark results\n\n${section}\nSee docs/PERFORMANCE.md for how to read these.\n`,
);
if (!args.has('no-docs')) writeSection(here('../../../docs/PERFORMANCE.md'), 'sim', section);
console.log('wrote bench/RESULTS.md and docs/PERFORMANCE.md');
process.exit(0);
