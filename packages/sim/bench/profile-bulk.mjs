// Profiling helper, not a benchmark: one sim connection carrying bulk writes of one size, for
// `node --cpu-prof --cpu-prof-dir=DIR bench/profile-bulk.mjs --size=1024 --mib=256 [--integrity] [--no-worker]`.
// Prints MB/s; read the profile with `node bench/profile-summary.mjs DIR/*.cpuprofile`.
import { closeServer, listenServer } from '@wsasec/core';
import { createSimBackend, createSimRealm } from '../dist/index.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const SIZE = Number(args.get('size') ?? 1024);
const TOTAL = Number(args.get('mib') ?? 128) * 1024 * 1024;
const security = args.has('integrity') ? undefined : { guaranteeEncryption: true };
const realm = createSimRealm({ domain: 'CONTOSO', dnsDomain: 'contoso.com' });
realm.addMachine('server.contoso.com');
realm.addMachine('client.contoso.com');
const cryptoWorker = !args.has('no-worker');
const serverBackend = createSimBackend({ realm, machine: 'server.contoso.com', cryptoWorker });
const clientBackend = createSimBackend({ realm, machine: 'client.contoso.com', cryptoWorker });
const server = serverBackend.createServer({ security });
const { port } = await listenServer(server, { host: '127.0.0.1' });
const accepted = new Promise((r) => server.once('connection', r));
const client = await clientBackend.connect({
  host: '127.0.0.1',
  port,
  security,
  peerTargetName: 'host/server.contoso.com',
});
const end = await accepted;
const chunk = Buffer.alloc(SIZE, 0x5a);
const t0 = performance.now();
await new Promise((resolve) => {
  let got = 0;
  end.on('data', (d) => {
    got += d.length;
    if (got >= TOTAL) resolve();
  });
  let sent = 0;
  const pump = () => {
    while (sent < TOTAL) {
      sent += SIZE;
      if (!client.write(chunk)) return void client.once('drain', pump);
    }
  };
  pump();
});
console.log(`${SIZE} B writes: ${(TOTAL / 1e6 / ((performance.now() - t0) / 1000)).toFixed(0)} MB/s`);
client.destroy();
end.destroy();
await closeServer(server);
await clientBackend.close();
await serverBackend.close();
process.exit(0);
