import { once } from 'node:events';
import * as net from 'node:net';
import type { SecureSocketError } from '@wsasec/core';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { contosoRealm, Harness } from '../support/fixture.js';

const h = new Harness();
let port = 0;
const realm = contosoRealm();
let delivered = 0;
const refusals: SecureSocketError[] = [];

beforeAll(async () => {
  const server = h.backend({ realm, machine: 'server.contoso.com', handshakeTimeout: 300 });
  const listening = await h.server(server, {}, (s) => {
    delivered++;
    s.destroy();
  });
  listening.server.on('negotiationError', (e: SecureSocketError) => refusals.push(e));
  port = listening.port;
});
afterAll(() => h.close());

/** Arbitrary bytes, half of them behind the negotiation magic and a plausible record header. */
const garbage = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 3000 }).map((u) => Buffer.from(u)),
  fc
    .tuple(
      fc.integer({ min: 0, max: 9 }),
      fc.integer({ min: 0, max: 5000 }),
      fc.uint8Array({ maxLength: 3000 }),
    )
    .map(([type, length, body]) => {
      const header = Buffer.from('WSKE\0\0\0\0\0', 'latin1');
      header[4] = type;
      header.writeUInt32BE(length, 5);
      return Buffer.concat([header, Buffer.from(body)]);
    }),
);

it('a server fed arbitrary bytes on fresh connections delivers none of them and stays up', async () => {
  await fc.assert(
    fc.asyncProperty(garbage, fc.boolean(), async (bytes, half) => {
      const before = refusals.length;
      const c = net.connect(port, '127.0.0.1');
      c.on('error', () => {});
      c.resume();
      await once(c, 'connect');
      if (half) c.write(bytes);
      else c.end(bytes);
      await once(c, 'close');
      expect(refusals.length).toBeGreaterThanOrEqual(before);
    }),
    { numRuns: 60 },
  );
  expect(delivered).toBe(0);
  expect(refusals.length).toBeGreaterThan(0);
  // Still serving: a client of the realm negotiates and is delivered.
  const client = h.backend({ realm, machine: 'client.contoso.com' });
  const socket = h.keep(
    await client.connect({ host: '127.0.0.1', port, peerTargetName: 'host/server.contoso.com' }),
  );
  expect(socket.querySecurity().secured).toBe(true);
  while (delivered === 0) await new Promise((r) => setImmediate(r));
  expect(delivered).toBe(1);
}, 60_000);
