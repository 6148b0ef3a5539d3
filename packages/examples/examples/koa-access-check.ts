/**
 * koa-access-check — a Koa app on an IPsec-secured server, authorized by the caller's Windows
 * identity.
 *
 * Shows: `createSecureServer(options, app.callback())`; `getPeerSecurity(ctx.req)` for who is
 * calling; `requirePeerAccess({ sddl, access })` used as a plain guard in Koa middleware (it answers
 * 403 itself on the raw response, so the middleware sets `ctx.respond = false`). alice (in Payroll)
 * gets 200, bob 403.
 *
 * Runs anywhere: server and clients use the sim, in this process, in the CONTOSO realm.
 * Run: node dist/examples/koa-access-check.js
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FILE_GENERIC_READ } from '@wsasec/core';
import { createSecureServer, getPeerSecurity, requirePeerAccess, SecureAgent } from '@wsasec/http-adapter';
import { createSimBackend } from '@wsasec/sim';
import Koa from 'koa';
import { createContosoRealm } from './contoso-realm.js';

// payrollSddl = D:(A;;FR;;;<SID of Payroll>); serverSecurity: encryption + user authentication
const { realm, payrollSddl, serverSecurity } = createContosoRealm();
const serverBackend = createSimBackend({ realm, machine: 'server.contoso.com' });
const payrollOnly = requirePeerAccess({ sddl: payrollSddl, access: FILE_GENERIC_READ });

const app = new Koa();
app.use(async (ctx, next) => {
  if (!payrollOnly(ctx.req, ctx.res)) {
    ctx.respond = false; // requirePeerAccess has answered 403 (or 401) on the raw response
    return;
  }
  await next();
});
app.use((ctx) => {
  const info = getPeerSecurity(ctx.req); // owned by the connection: do not close it
  const user = info.peerApplicationToken?.user.name;
  const machine = info.peerMachineToken?.user.name;
  ctx.type = 'text/plain';
  ctx.body = `payroll report for ${user} on ${machine} (encrypted: ${info.encrypted})`;
});

const server = createSecureServer({ backend: serverBackend, security: serverSecurity }, app.callback());
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
