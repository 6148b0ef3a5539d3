import { closeServer, type SecureSocket, TOKEN_QUERY } from '@wsasec/core';
import { afterEach, expect, it } from 'vitest';
import { openTokenCount } from '../../src/index.js';
import { contosoRealm, Harness, MM_USER } from '../support/fixture.js';

const h = new Harness();
afterEach(() => h.close());

const CONNECTIONS = 1000;
/** Connects at most this many at once (the server negotiates at most 256 at once by default). */
const CONNECT_BATCH = 100;

it(`${CONNECTIONS} concurrent connections through one server, every token closed at the end`, async () => {
  const tokensBefore = openTokenCount();
  const realm = contosoRealm();
  const server = h.backend({ realm, machine: 'server.contoso.com' });
  const alice = h.backend({ realm, machine: 'client.contoso.com', user: 'alice' });
  const bob = h.backend({ realm, machine: 'client.contoso.com', user: 'bob' });
  const security = { ipsec: { mainModePolicyKey: MM_USER } };
  const accepted: SecureSocket[] = [];
  const { server: srv, port } = await h.server(server, { security }, (s) => {
    s.on('error', () => {});
    accepted.push(s);
    // Each accepted socket answers for its own peer: the user it impersonates, then echoes.
    s.once('data', (first: Buffer) => {
      const name = s.impersonatePeer(() => server.currentIdentity().name);
      s.write(`${name}:${first.toString()}`);
      s.on('data', (d: Buffer) => s.write(d));
    });
  });
  const clients: SecureSocket[] = [];
  for (let i = 0; i < CONNECTIONS; i += CONNECT_BATCH) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(CONNECT_BATCH, CONNECTIONS - i) }, (_, j) =>
        (i + j) % 2 === 0 ? alice : bob,
      ).map((backend) =>
        backend.connect({ host: '127.0.0.1', port, security, peerTargetName: 'host/server.contoso.com' }),
      ),
    );
    for (const s of batch) clients.push(h.keep(s));
  }
  expect(clients).toHaveLength(CONNECTIONS);
  while (accepted.length < CONNECTIONS) await new Promise((r) => setImmediate(r));
  expect(srv.connections).toBe(CONNECTIONS);

  // Every connection at once: one request each, each answered for its own peer.
  const answers = await Promise.all(
    clients.map(
      (s, i) =>
        new Promise<string>((resolve, reject) => {
          s.once('data', (d: Buffer) => resolve(d.toString()));
          s.once('error', reject);
          s.write(`#${i}`);
        }),
    ),
  );
  answers.forEach((answer, i) => {
    expect(answer).toBe(`${i % 2 === 0 ? 'alice' : 'bob'}:#${i}`);
  });

  // Tokens of every accepted connection, held at once, then all closed.
  const infos = accepted.map((s) => s.querySecurity({ tokenAccess: TOKEN_QUERY }));
  expect(openTokenCount()).toBe(tokensBefore + 2 * CONNECTIONS);
  const users = new Set(infos.map((info) => info.peerApplicationToken?.user.name));
  expect(users).toEqual(new Set(['alice', 'bob']));
  for (const info of infos) info.close();
  expect(openTokenCount()).toBe(tokensBefore);

  const closing = closeServer(srv);
  for (const s of clients) s.destroy();
  await closing;
  expect(srv.connections).toBe(0);
  expect(openTokenCount()).toBe(tokensBefore);
}, 120_000);
