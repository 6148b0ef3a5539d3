/**
 * websocket — WebSockets (the `ws` package) over IPsec-secured connections.
 *
 * Shows: a `WebSocketServer` in `noServer` mode on `createSecureServer`: the server's `'upgrade'`
 * handler authorizes the caller by its Windows identity (AccessCheck of the peer token against an
 * SDDL descriptor: FILE_GENERIC_READ for Payroll) before the handshake, answers 403 to anyone else,
 * and `'connection'` reads who is calling from `getPeerSecurity(request)` of the upgrade request.
 * The client is `new WebSocket(url, { agent })` with a `SecureAgent` (the server must prove it is
 * host/server.contoso.com). alice (in Payroll) gets her messages; bob's upgrade is refused.
 *
 * Runs anywhere: server and clients use the sim, in this process, in the CONTOSO realm.
 * Run: node dist/examples/websocket.js
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { FILE_GENERIC_READ } from '@wsasec/core';
import { createSecureServer, getPeerSecurity, SecureAgent } from '@wsasec/http-adapter';
import { createSimBackend } from '@wsasec/sim';
import { WebSocket, WebSocketServer } from 'ws';
import { createContosoRealm } from './contoso-realm.js';

// payrollSddl = D:(A;;FR;;;<SID of Payroll>); serverSecurity: encryption + user authentication
const { realm, payrollSddl, serverSecurity } = createContosoRealm();
const serverBackend = createSimBackend({ realm, machine: 'server.contoso.com' });

const server = createSecureServer({ backend: serverBackend, security: serverSecurity }, (_req, res) => {
  res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n');
});
const wss = new WebSocketServer({ noServer: true });

server.on('upgrade', (request, socket, head) => {
  const info = getPeerSecurity(request); // owned by the connection: do not close it
  const token = info.peerApplicationToken ?? info.peerMachineToken;
  if (!token || !serverBackend.accessCheck(token, payrollSddl, FILE_GENERIC_READ).granted) {
    console.log(`server: upgrade from ${token?.user.name ?? 'an unknown peer'} refused (403)`);
    socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
});

wss.on('connection', (ws, request) => {
  const info = getPeerSecurity(request);
  const user = info.peerApplicationToken?.user.name;
  const machine = info.peerMachineToken?.user.name;
  console.log(`server: WebSocket from ${user} on ${machine} (encrypted: ${info.encrypted})`);
  ws.on('message', (data) => ws.send(`hello ${user} on ${machine}, you said "${String(data)}"`));
});

server.listen({ host: '127.0.0.1', port: 0 });
await once(server, 'listening');
const { port } = server.address() as AddressInfo;

async function talkAs(user: string): Promise<void> {
  const backend = createSimBackend({ realm, machine: 'client.contoso.com', user });
  const agent = new SecureAgent({ backend, peerTargetName: 'host/server.contoso.com' });
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`, { agent });
    const answer = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('ping'));
      ws.once('message', (data) => resolve(String(data)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
      ws.once('error', reject);
    });
    console.log(`${user}: ← ${answer}`);
    ws.close();
    await once(ws, 'close');
  } catch (error) {
    console.log(`${user}: refused: ${(error as Error).message}`);
  } finally {
    agent.destroy();
    await backend.close();
  }
}

try {
  await talkAs('alice');
  await talkAs('bob');
} finally {
  wss.close();
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
  await serverBackend.close();
}
