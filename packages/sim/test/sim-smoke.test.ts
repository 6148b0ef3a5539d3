import { afterEach, describe, expect, it } from 'vitest';
import { contosoRealm, echo, Harness, readAll } from './sim-fixture.js';

const h = new Harness();
afterEach(() => h.close());

describe('smoke', () => {
  it('echoes over a negotiated connection', async () => {
    const realm = contosoRealm();
    const server = h.backend({ realm, machine: 'server.contoso.com' });
    const client = h.backend({ realm, machine: 'client.contoso.com' });
    const { port } = await h.server(server, {}, echo);
    const s = h.keep(
      await client.connect({ host: '127.0.0.1', port, peerTargetName: 'host/server.contoso.com' }),
    );
    const info = s.querySecurity();
    expect(info.secured).toBe(true);
    s.end('hello');
    expect((await readAll(s)).toString()).toBe('hello');
  });
});
