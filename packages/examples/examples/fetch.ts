/**
 * fetch — `fetch()` over IPsec-secured connections.
 *
 * Shows: `createSecureDispatcher` (an undici Agent whose connections are created, secured and
 * given their peer target name by a wsasec backend) passed as `dispatcher` to the `fetch` that
 * @wsasec/http-adapter exports (undici 7's; Node 20's global fetch bundles an older undici whose
 * dispatcher interface differs). A request to a machine that is not the named target is refused
 * before a byte of it is sent.
 *
 * Runs anywhere: both ends use the sim, in this process, in the CONTOSO realm.
 * Run: node dist/examples/fetch.js
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createSecureDispatcher, createSecureServer, fetch, getPeerSecurity } from '@wsasec/http-adapter';
import { createSimBackend } from '@wsasec/sim';
import { createContosoRealm } from './contoso-realm.js';

const { realm, serverSecurity } = createContosoRealm(); // serverSecurity: encryption + user authentication
const serverBackend = createSimBackend({ realm, machine: 'server.contoso.com' });
const clientBackend = createSimBackend({ realm, machine: 'client.contoso.com', user: 'alice' });

const server = createSecureServer({ backend: serverBackend, security: serverSecurity }, (req, res) => {
  const info = getPeerSecurity(req);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ user: info.peerApplicationToken?.user.name, encrypted: info.encrypted }));
});
server.listen({ host: '127.0.0.1', port: 0 });
await once(server, 'listening');
const { port } = server.address() as AddressInfo;

const dispatcher = createSecureDispatcher({
  backend: clientBackend,
  security: { guaranteeEncryption: true },
  peerTargetName: 'host/server.contoso.com',
});
const wrongName = createSecureDispatcher({
  backend: clientBackend,
  security: { guaranteeEncryption: true },
  peerTargetName: 'host/payroll.contoso.com', // not who is listening there
});

try {
  const res = await fetch(`http://127.0.0.1:${port}/hello`, { dispatcher });
  console.log(`fetch → ${res.status}: ${await res.text()}`);

  try {
    await fetch(`http://127.0.0.1:${port}/hello`, { dispatcher: wrongName });
    console.log('fetch with the wrong target name → answered (this must not happen)');
    process.exitCode = 1;
  } catch (error) {
    // fetch wraps the connect error: the SecureSocketError is its cause.
    const code = (error as { cause?: { code?: string } }).cause?.code;
    console.log(`fetch with the wrong target name → refused: ${code}`);
  }
} finally {
  await Promise.all([dispatcher.close(), wrongName.close()]);
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
  await Promise.all([serverBackend.close(), clientBackend.close()]);
}
