/**
 * express-access-check — authorizing Express routes by the caller's Windows identity.
 *
 * Shows: an Express app served by `createSecureServer`, and `requirePeerAccess({ sddl, access })`
 * as route middleware: AccessCheck of the peer's token against a security descriptor in SDDL —
 * here FILE_GENERIC_READ for members of the Payroll group only. alice (in Payroll) gets the report;
 * bob (a valid user of the same realm, not in Payroll) gets 403, with a body that says nothing of
 * the descriptor or the reason.
 *
 * `req.secure` and `req.protocol` are about TLS: on an IPsec-secured connection there is no TLS, so
 * Express says `false` and `'http'` — wsasec leaves them so (a socket claiming `encrypted` would
 * send middleware looking for a certificate). What protects the request is in
 * `getPeerSecurity(req)`: `secured`, `encrypted` and the peer's tokens; the route below prints both.
 *
 * Runs anywhere: server and clients use the sim, in this process, in the CONTOSO realm.
 * Run: node dist/examples/express-access-check.js
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FILE_GENERIC_READ } from '@wsasec/core';
import { createSecureServer, getPeerSecurity, requirePeerAccess, SecureAgent } from '@wsasec/http-adapter';
import { createSimBackend } from '@wsasec/sim';
import express from 'express';
import { createContosoRealm } from './contoso-realm.js';

// payrollSddl = D:(A;;FR;;;<SID of Payroll>); serverSecurity: encryption + user authentication
const { realm, payrollSddl, serverSecurity } = createContosoRealm();
const serverBackend = createSimBackend({ realm, machine: 'server.contoso.com' });

const app = express();
app.get('/payroll', requirePeerAccess({ sddl: payrollSddl, access: FILE_GENERIC_READ }), (req, res) => {
  const info = getPeerSecurity(req); // owned by the connection: do not close it
  const user = info.peerApplicationToken?.user;
  res
    .type('text')
    .send(
      `payroll report for ${user?.name}: 3 employees, paid on the 25th ` +
        `(req.secure: ${req.secure}, req.protocol: ${req.protocol}; ` +
        `IPsec secured: ${info.secured}, encrypted: ${info.encrypted})\n`,
    );
});

const server = createSecureServer({ backend: serverBackend, security: serverSecurity }, app);
server.listen({ host: '127.0.0.1', port: 0 });
await once(server, 'listening');
const { port } = server.address() as AddressInfo;

async function getAs(user: string): Promise<void> {
  const backend = createSimBackend({ realm, machine: 'client.contoso.com', user });
  const agent = new SecureAgent({ backend, peerTargetName: 'host/server.contoso.com' });
  try {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/payroll', agent }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        })
        .on('error', reject);
    });
    console.log(`${user}: GET /payroll → ${status} ${body.trim()}`);
  } finally {
    agent.destroy();
    await backend.close();
  }
}

try {
  await getAs('alice');
  await getAs('bob');
} finally {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
  await serverBackend.close();
}
