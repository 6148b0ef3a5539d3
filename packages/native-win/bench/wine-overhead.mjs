// Per-connection cost of a secured connect (WSASocketW + WSASetSocketSecurity +
// WSASetSocketPeerTargetName + hand-over to Node's TCP handle + connect) against a plain
// net.connect, in one run, inside Windows Node under Wine, to the Linux-side echo server.
// A measurement, not a test: it prints figures and asserts nothing about speed.
import { once } from 'node:events';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { createNativeBackend } from '../dist/index.js';

const port = Number(process.env.WSASEC_PEER_ECHO_PORT);
const rounds = Number(process.env.WSASEC_OVERHEAD_ROUNDS ?? 25);
const batch = 20;
const backend = createNativeBackend();

async function plain() {
  const started = performance.now();
  const socket = net.connect({ host: '127.0.0.1', port, autoSelectFamily: false });
  await once(socket, 'connect');
  const ms = performance.now() - started;
  socket.destroy();
  await once(socket, 'close');
  return ms;
}

async function secured() {
  const started = performance.now();
  const socket = await backend.connect({
    host: '127.0.0.1',
    port,
    security: { guaranteeEncryption: true },
    peerTargetName: 'host/linux.example.test',
  });
  const ms = performance.now() - started;
  socket.destroy();
  await once(socket, 'close');
  return ms;
}

const totals = { plain: 0, secured: 0 };
for (let i = 0; i < batch; i++) {
  await plain();
  await secured();
}
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < batch; i++) totals.plain += await plain();
  for (let i = 0; i < batch; i++) totals.secured += await secured();
}
await backend.close();
const n = rounds * batch;
const p = totals.plain / n;
const s = totals.secured / n;
console.log(
  `overhead (Windows Node ${process.version} under Wine, loopback to a Linux-side server, ${n} sequential connections each, interleaved batches of ${batch}): ` +
    `plain net.connect ${p.toFixed(3)} ms/connection, secured backend.connect ${s.toFixed(3)} ms/connection, ` +
    `ratio ${(s / p).toFixed(2)}x, overhead ${(s - p).toFixed(3)} ms/connection`,
);
console.log(
  JSON.stringify({
    connections: n,
    plainMs: +p.toFixed(4),
    securedMs: +s.toFixed(4),
    ratio: +(s / p).toFixed(3),
  }),
);
