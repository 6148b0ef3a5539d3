/**
 * fastify-access-check — a Fastify app on an IPsec-secured server, routes authorized by the
 * caller's Windows identity.
 *
 * Shows: Fastify's `serverFactory` returning `createSecureServer(options, handler)`, so Fastify
 * listens on secured sockets; `getPeerSecurity(request.raw)` for who is calling (user and machine);
 * an access check in a `preHandler` (AccessCheck of the peer token against an SDDL descriptor:
 * FILE_GENERIC_READ for Payroll) answered through Fastify's `reply`. alice (in Payroll) gets 200,
 * bob 403.
 *
 * Runs anywhere: server and clients use the sim, in this process, in the CONTOSO realm.
 * Run: node dist/examples/fastify-access-check.js
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FILE_GENERIC_READ } from '@wsasec/core';
import { createSecureServer, getPeerSecurity, SecureAgent } from '@wsasec/http-adapter';
import { createSimBackend } from '@wsasec/sim';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { createContosoRealm } from './contoso-realm.js';

// payrollSddl = D:(A;;FR;;;<SID of Payroll>); serverSecurity: encryption + user authentication
const { realm, payrollSddl, serverSecurity } = createContosoRealm();
const serverBackend = createSimBackend({ realm, machine: 'server.contoso.com' });

const app = Fastify({
  serverFactory: (handler) =>
    createSecureServer({ backend: serverBackend, security: serverSecurity }, handler),
});

async function payrollOnly(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const info = getPeerSecurity(request.raw); // owned by the connection: do not close it
  const token = info.peerApplicationToken ?? info.peerMachineToken;
  if (!token || !serverBackend.accessCheck(token, payrollSddl, FILE_GENERIC_READ).granted) {
    await reply.code(403).type('text/plain').send('Forbidden'); // nothing about why
  }
}

app.get('/payroll', { preHandler: payrollOnly }, async (request, reply) => {
  const info = getPeerSecurity(request.raw);
  const user = info.peerApplicationToken?.user.name;
  const machine = info.peerMachineToken?.user.name;
  reply.type('text/plain');
  return `payroll report for ${user} on ${machine} (encrypted: ${info.encrypted})`;
});

await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address() as AddressInfo;

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
  app.server.closeAllConnections();
  await app.close();
  await serverBackend.close();
}
