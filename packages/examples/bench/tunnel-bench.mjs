#!/usr/bin/env node
// Throughput and round-trip latency through `wsasec tunnel` (sim backend, encryption required:
// plain TCP → tunnel client → secured connection → tunnel server → plain TCP) against a direct TCP
// connection to the same service, measured in the same run. The contenders alternate within every
// round; each figure is the median of the rounds. Everything runs in this one process (the service,
// both tunnel ends and the load), on loopback. Needs the built package: pnpm build.
//
//   node bench/tunnel-bench.mjs [--rounds 5] [--mib 64] [--pings 2000]
import { once } from 'node:events';
import * as net from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createSimBackend, createSimRealm } from '@wsasec/sim';
import { startTunnelClient, startTunnelServer } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    mib: { type: 'string', default: '64' },
    pings: { type: 'string', default: '2000' },
  },
});
const ROUNDS = Number(values.rounds);
const SIZE = Number(values.mib) * 1024 * 1024;
const PINGS = Number(values.pings);
const HOST = '127.0.0.1';

// The service: a connection starting with 'B' is a sink (answers the byte count when the client
// ends); any other is a 1-byte echo for ping-pong.
const service = net.createServer({ allowHalfOpen: true }, (socket) => {
  let mode;
  let count = 0;
  socket.on('data', (chunk) => {
    mode ??= chunk[0] === 0x42 ? 'bulk' : 'echo';
    if (mode === 'bulk') count += chunk.length;
    else socket.write(chunk);
  });
  socket.on('end', () => socket.end(mode === 'bulk' ? `${count}` : undefined));
  socket.on('error', () => {});
});
service.listen(0, HOST);
await once(service, 'listening');
const servicePort = service.address().port;

const realm = createSimRealm({ domain: 'CONTOSO', dnsDomain: 'contoso.com' });
for (const fqdn of ['server.contoso.com', 'client.contoso.com']) realm.addMachine(fqdn);
const security = { guaranteeEncryption: true };
const serverBackend = createSimBackend({ realm, machine: 'server.contoso.com' });
const clientBackend = createSimBackend({ realm, machine: 'client.contoso.com' });
const tunnelServer = await startTunnelServer({
  backend: serverBackend,
  listen: { host: HOST, port: 0 },
  forward: { host: HOST, port: servicePort },
  security,
});
const tunnelClient = await startTunnelClient({
  backend: clientBackend,
  listen: { host: HOST, port: 0 },
  connect: { host: HOST, port: tunnelServer.address().port },
  peerTargetName: 'host/server.contoso.com',
  security,
});

async function dial(port) {
  const socket = net.connect({ host: HOST, port, noDelay: true });
  await once(socket, 'connect');
  return socket;
}

/** MB/s of SIZE bytes written one way, until the service confirmed it received all of them. */
async function bulk(port) {
  const socket = await dial(port);
  const chunk = Buffer.alloc(256 * 1024, 0x42);
  let reply = '';
  socket.setEncoding('utf8').on('data', (d) => {
    reply += d;
  });
  const start = process.hrtime.bigint();
  for (let sent = 0; sent < SIZE; sent += chunk.length) {
    if (!socket.write(chunk)) await once(socket, 'drain');
  }
  socket.end();
  await once(socket, 'close');
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (Number(reply) !== SIZE) throw new Error(`the service got ${reply} of ${SIZE} bytes`);
  return SIZE / 1e6 / seconds;
}

/** Median µs of a 1-byte round trip on an open connection, and the ms of connect + first round trip. */
async function pingPong(port) {
  const start = process.hrtime.bigint();
  const socket = await dial(port);
  const times = [];
  let first;
  for (let i = 0; i < PINGS; i++) {
    const t = process.hrtime.bigint();
    socket.write('p');
    await once(socket, 'data');
    const now = process.hrtime.bigint();
    if (i === 0) first = Number(now - start) / 1e6;
    times.push(Number(now - t) / 1e3);
  }
  socket.end();
  await once(socket, 'close');
  return { rtt: median(times), first };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const contenders = [
  { name: 'direct TCP', port: servicePort },
  { name: 'tunnel (sim, encrypted)', port: tunnelClient.address().port },
];
const results = new Map(contenders.map((c) => [c.name, { mbps: [], rtt: [], first: [] }]));
// Warm-up (JIT, the sim's key material), not counted.
for (const c of contenders) {
  await bulk(c.port);
  await pingPong(c.port);
}
for (let round = 0; round < ROUNDS; round++) {
  // Alternate who goes first each round.
  const order = round % 2 === 0 ? contenders : [...contenders].reverse();
  for (const c of order) {
    const r = results.get(c.name);
    r.mbps.push(await bulk(c.port));
    const p = await pingPong(c.port);
    r.rtt.push(p.rtt);
    r.first.push(p.first);
  }
}

await tunnelClient.close();
await tunnelServer.close();
await clientBackend.close();
await serverBackend.close();
service.close();

const rows = contenders.map((c) => {
  const r = results.get(c.name);
  return [c.name, median(r.mbps).toFixed(1), median(r.rtt).toFixed(1), median(r.first).toFixed(2)];
});
const direct = results.get('direct TCP');
const tunnel = results.get('tunnel (sim, encrypted)');
const header = ['path', 'MB/s', 'round trip µs', 'connect + first round trip ms'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(
  `tunnel bench: ${values.mib} MiB one way per transfer, ${PINGS} 1-byte round trips, median of ${ROUNDS} rounds (contenders alternate)`,
);
console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, nproc ${os.availableParallelism()}, ${new Date().toISOString()}`,
);
console.log('');
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of rows) console.log(line(row));
console.log('');
console.log(
  `tunnel / direct: ${((median(tunnel.mbps) / median(direct.mbps)) * 100).toFixed(1)} % of the throughput, ${(median(tunnel.rtt) / median(direct.rtt)).toFixed(1)}× the round trip`,
);
