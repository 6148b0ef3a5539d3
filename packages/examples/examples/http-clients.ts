/**
 * http-clients — axios, got and node-fetch on IPsec-secured connections, unchanged but for the
 * agent: each takes a `SecureAgent` where it takes an `http.Agent`.
 *
 * Shows: `axios.get(url, { httpAgent })`, `got(url, { agent: { http } })`, node-fetch's
 * `fetch(url, { agent })`, all through one `SecureAgent`; the server (`createSecureServer`) answers
 * with the caller's Windows identity from `getPeerSecurity(req)`.
 *
 * Runs anywhere: server and client use the sim, in this process, in the CONTOSO realm.
 * Run: node dist/examples/http-clients.js
 */
import type { AddressInfo } from 'node:net';
import { createSecureServer, getPeerSecurity, SecureAgent } from '@wsasec/http-adapter';
import { createSimBackend } from '@wsasec/sim';
import axios from 'axios';
import got from 'got';
import nodeFetch from 'node-fetch';
import { createContosoRealm } from './contoso-realm.js';

const { realm, serverSecurity } = createContosoRealm();
const serverBackend = createSimBackend({ realm, machine: 'server.contoso.com' });
const clientBackend = createSimBackend({ realm, machine: 'client.contoso.com', user: 'alice' });

const server = createSecureServer({ backend: serverBackend, security: serverSecurity }, (req, res) => {
  const info = getPeerSecurity(req); // owned by the connection: do not close it
  res.setHeader('content-type', 'text/plain');
  res.end(`hello ${info.peerApplicationToken?.user.name} on ${info.peerMachineToken?.user.name}`);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
const agent = new SecureAgent({ backend: clientBackend, peerTargetName: 'host/server.contoso.com' });

try {
  const viaAxios = await axios.get<string>(url, { httpAgent: agent, responseType: 'text' });
  console.log(`axios: ${viaAxios.status} ${viaAxios.data}`);
  const viaGot = await got(url, { agent: { http: agent }, retry: { limit: 0 } });
  console.log(`got: ${viaGot.statusCode} ${viaGot.body}`);
  const viaNodeFetch = await nodeFetch(url, { agent });
  console.log(`node-fetch: ${viaNodeFetch.status} ${await viaNodeFetch.text()}`);
} finally {
  agent.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await clientBackend.close();
  await serverBackend.close();
}
