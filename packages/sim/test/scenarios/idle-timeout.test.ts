import { once } from 'node:events';
import type { SecureSocketError } from '@wsasec/core';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_IDLE_TIMEOUT } from '../../src/index.js';
import { contosoRealm, Harness, nextConnection } from '../support/fixture.js';

const h = new Harness();
afterEach(() => h.close());

describe('idleTimeout', () => {
  it('defaults to five minutes (the idle time of an IPsec SA)', () => {
    expect(DEFAULT_IDLE_TIMEOUT).toBe(300_000);
  });

  it('closes a secured connection that carried no data either way for idleTimeout ms', async () => {
    const realm = contosoRealm();
    const server = h.backend({ realm, machine: 'server.contoso.com', idleTimeout: 200 });
    const client = h.backend({ realm, machine: 'client.contoso.com' });
    const { server: srv, port } = await h.server(server, { security: {} });
    const accepted = nextConnection(srv);
    const socket = h.keep(await client.connect({ host: '127.0.0.1', port, security: {} }));
    socket.on('error', () => {});
    socket.resume();
    const clientClosed = once(socket, 'close');
    const peer = h.keep(await accepted);
    const [error] = (await once(peer, 'error')) as [SecureSocketError];
    expect(error.code).toBe('WSAETIMEDOUT');
    expect(error.message).toMatch(/idleTimeout/);
    // The client learns of it through the protected ABORT (read to its end, as with a FIN).
    await clientClosed;
  });

  it('keeps a connection open while complete frames keep arriving', async () => {
    const realm = contosoRealm();
    const server = h.backend({ realm, machine: 'server.contoso.com', idleTimeout: 300 });
    const client = h.backend({ realm, machine: 'client.contoso.com' });
    const { server: srv, port } = await h.server(server, { security: {} });
    const accepted = nextConnection(srv);
    const socket = h.keep(await client.connect({ host: '127.0.0.1', port, security: {} }));
    const peer = h.keep(await accepted);
    let got = 0;
    peer.on('data', (chunk: Buffer) => {
      got += chunk.length;
    });
    for (let i = 0; i < 8; i++) {
      socket.write('tick');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(peer.destroyed).toBe(false);
    expect(got).toBe(32);
  });

  it('is refused outside 0 – 86 400 000 with ERR_WSASEC_INVALID_ARGUMENT', () => {
    const realm = contosoRealm();
    for (const idleTimeout of [-1, 1.5, '10', 86_400_001]) {
      expect(() =>
        h.backend({ realm, machine: 'server.contoso.com', idleTimeout: idleTimeout as number }),
      ).toThrow(expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }));
    }
  });
});
