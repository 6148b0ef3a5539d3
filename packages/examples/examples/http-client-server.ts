/**
 * http-client-server — Node's own http client and server over IPsec-secured connections.
 *
 * Shows: `createSecureServer` (an http.Server whose listening socket is secured before bind and
 * that requires encryption), `getPeerSecurity(req)` (WSAQuerySocketSecurity with the peer tokens:
 * who the client is, user and machine), `impersonateRequestPeer(req, fn)` (WSAImpersonateSocketPeer
 * … WSARevertImpersonation around synchronous work), and `SecureAgent` as the `agent` of
 * `http.get`, with the peer target name the server must prove. Keep-alive reuses the negotiated
 * connection: two requests, one negotiation.
 *
 * Runs anywhere: both ends use the sim, in this process, in the CONTOSO realm.
 * Run: node dist/examples/http-client-server.js
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createSecureServer,
  getPeerSecurity,
  impersonateRequestPeer,
  SecureAgent,
} from '@wsasec/http-adapter';
import { createSimBackend } from '@wsasec/sim';
import { createContosoRealm } from './contoso-realm.js';

const { realm, serverSecurity } = createContosoRealm(); // serverSecurity: encryption + user authentication
const serverBackend = createSimBackend({ realm, machine: 'server.contoso.com' });
const clientBackend = createSimBackend({ realm, machine: 'client.contoso.com', user: 'alice' });

const server = createSecureServer({ backend: serverBackend, security: serverSecurity }, (req, res) => {
  const info = getPeerSecurity(req); // owned by the connection: do not close it
  const user = info.peerApplicationToken?.user;
  const machine = info.peerMachineToken?.user;
  // Runs as the client for this synchronous call only (a promise returned here would be an error).
  const actingAs = impersonateRequestPeer(req, () => serverBackend.currentIdentity());
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(
    `hello ${user?.name} on ${machine?.name}; encrypted: ${info.encrypted}; while impersonating I was ${actingAs.name}\n`,
  );
});
server.listen({ host: '127.0.0.1', port: 0 });
await once(server, 'listening');
const { port } = server.address() as AddressInfo;
console.log(`server.contoso.com listening on 127.0.0.1 port ${port}, encryption required`);

const agent = new SecureAgent({
  backend: clientBackend,
  security: { guaranteeEncryption: true },
  peerTargetName: 'host/server.contoso.com', // the name the server must prove; never skip it
});

function get(path: string): Promise<{ status: number; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, reused: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

try {
  for (const path of ['/first', '/second']) {
    const { status, body, reused } = await get(path);
    console.log(
      `GET ${path} → ${status} (${reused ? 'reused the secured connection' : 'new secured connection'}): ${body.trim()}`,
    );
  }
} finally {
  agent.destroy();
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
  await Promise.all([serverBackend.close(), clientBackend.close()]);
}
