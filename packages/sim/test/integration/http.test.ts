import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { SecureSocket, SecureSocketBackend } from '@wsasec/core';
import { afterEach, expect, it } from 'vitest';
import { contosoRealm, Harness, MM_USER } from '../support/fixture.js';

const h = new Harness();
const httpServers: http.Server[] = [];
const agents: http.Agent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.destroy();
  for (const s of httpServers.splice(0)) s.closeAllConnections();
  await h.close();
});

const security = { guaranteeEncryption: true, ipsec: { mainModePolicyKey: MM_USER } };

/** An http.Agent whose connections are sim sockets. */
class SimAgent extends http.Agent {
  constructor(private readonly backend: SecureSocketBackend) {
    super({ keepAlive: true, maxSockets: 4 });
  }
  override createConnection(
    options: http.ClientRequestArgs,
    cb: (err: Error | null, socket: Duplex) => void,
  ): Duplex | undefined {
    this.backend
      .connect({
        host: '127.0.0.1',
        port: Number(options.port),
        security,
        peerTargetName: 'host/server.contoso.com',
      })
      .then(
        (socket) => cb(null, socket),
        (error: Error) => cb(error, undefined as unknown as Duplex),
      );
    return undefined;
  }
}

function request(agent: http.Agent, port: number, opts: { method?: string; body?: Buffer } = {}) {
  return new Promise<{ status: number; body: Buffer; socket: unknown }>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, agent, method: opts.method ?? 'GET', path: '/' },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), socket: req.socket }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

it("Node's http client and server run over sim sockets: keep-alive, large bodies, the peer user per request", async () => {
  const realm = contosoRealm();
  const server = h.backend({ realm, machine: 'server.contoso.com' });
  const client = h.backend({ realm, machine: 'client.contoso.com', user: 'alice' });
  const httpServer = http.createServer((req, res) => {
    const socket = req.socket as unknown as SecureSocket;
    const user = socket.impersonatePeer(() => server.currentIdentity().name);
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
    });
    req.on('end', () => res.end(JSON.stringify({ user, size, encrypted: socket.querySecurity().encrypted })));
  });
  httpServers.push(httpServer);
  const { port } = await h.server(server, { security }, (socket) => httpServer.emit('connection', socket));
  const agent = new SimAgent(client);
  agents.push(agent);

  const first = await request(agent, port);
  expect(first.status).toBe(200);
  expect(JSON.parse(first.body.toString())).toEqual({ user: 'alice', size: 0, encrypted: true });
  const second = await request(agent, port, { method: 'POST', body: Buffer.alloc(2 * 1024 * 1024, 1) });
  expect(JSON.parse(second.body.toString())).toEqual({
    user: 'alice',
    size: 2 * 1024 * 1024,
    encrypted: true,
  });
  // Keep-alive: the second request reused the first connection.
  expect(second.socket).toBe(first.socket);
  const parallel = await Promise.all([1, 2, 3, 4, 5, 6].map(() => request(agent, port)));
  for (const r of parallel) expect(r.status).toBe(200);
});
