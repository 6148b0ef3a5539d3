import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBackend, TOKEN_QUERY } from '@wsasec/core';
import { afterEach, describe, expect, it } from 'vitest';
import { SIM_CHANNELS } from '../../src/index.js';
import { contosoRealm, Harness, nextConnection } from '../support/fixture.js';
import { flip, startMitm } from '../support/mitm.js';

const h = new Harness();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await h.close();
});

function record(): { channel: string; message: Record<string, unknown> }[] {
  const seen: { channel: string; message: Record<string, unknown> }[] = [];
  for (const channel of Object.values(SIM_CHANNELS)) {
    const listener = (message: unknown) =>
      seen.push({ channel, message: message as Record<string, unknown> });
    subscribe(channel, listener);
    cleanups.push(() => unsubscribe(channel, listener));
  }
  return seen;
}

describe('diagnostics channels', () => {
  it('publish negotiation, token and impersonation events without keys, passwords or data', async () => {
    const seen = record();
    const realm = contosoRealm();
    const server = h.backend({ realm, machine: 'server.contoso.com' });
    const client = h.backend({ realm, machine: 'client.contoso.com' });
    const { server: srv, port } = await h.server(server);
    srv.on('negotiationError', () => {});
    const accepted = nextConnection(srv);
    const socket = h.keep(
      await client.connect({ host: '127.0.0.1', port, peerTargetName: 'host/server.contoso.com' }),
    );
    const peer = h.keep(await accepted);
    socket.write('PLAINTEXT-never-published');
    await once(peer, 'data');
    peer.querySecurity({ tokenAccess: TOKEN_QUERY }).close();
    peer.impersonatePeer(() => 1);
    await client
      .connect({
        host: '127.0.0.1',
        port,
        security: { ipsec: { credentials: { user: 'bob', password: 'WRONG-password-never-published' } } },
      })
      .catch(() => {});
    await new Promise((r) => setTimeout(r, 20));
    const channels = new Set(seen.map((s) => s.channel));
    for (const c of [
      SIM_CHANNELS.negotiationStart,
      SIM_CHANNELS.negotiationSuccess,
      SIM_CHANNELS.negotiationFailure,
      SIM_CHANNELS.tokenOpen,
      SIM_CHANNELS.tokenClose,
      SIM_CHANNELS.impersonationBegin,
      SIM_CHANNELS.impersonationEnd,
    ])
      expect(channels).toContain(c);
    const dump = JSON.stringify(seen, (_, v) =>
      typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? '<buffer>' : v,
    );
    expect(dump).not.toMatch(/PLAINTEXT|WRONG-password|battery staple|<buffer>/);
    const success = seen.find((s) => s.channel === SIM_CHANNELS.negotiationSuccess)?.message;
    expect(success).toMatchObject({
      transform: 'integrity',
      peerMachine: realm.lookup('client.contoso.com')?.sid,
    });
  });

  it('publish clear-text fallbacks and rejected frames', async () => {
    const seen = record();
    const realm = contosoRealm();
    const server = h.backend({ realm, machine: 'server.contoso.com', announceDelay: 20 });
    const { port } = await h.server(server, { security: { allowInsecure: true } });
    const net = await import('node:net');
    const plain = net.connect(port, '127.0.0.1');
    plain.on('error', () => {});
    plain.write('hello');
    await new Promise((r) => setTimeout(r, 50));
    plain.destroy();
    expect(seen.some((s) => s.channel === SIM_CHANNELS.fallbackClear && s.message.role === 'responder')).toBe(
      true,
    );

    const client = h.backend({ realm, machine: 'client.contoso.com' });
    const strict = await h.server(server, {}, (s) => s.on('error', () => {}));
    const mitm = await startMitm(strict.port, {
      up: (u) => (u.kind === 'frame' && u.type === 1 ? flip(u.bytes, 18) : u.bytes),
    });
    cleanups.push(() => mitm.close());
    const socket = h.keep(await client.connect({ host: '127.0.0.1', port: mitm.port }));
    socket.on('error', () => {});
    socket.write('tampered on the way');
    for (let i = 0; i < 50 && !seen.some((s) => s.channel === SIM_CHANNELS.frameRejected); i++)
      await new Promise((r) => setTimeout(r, 10));
    const rejected = seen.find((s) => s.channel === SIM_CHANNELS.frameRejected)?.message;
    expect(rejected?.reason).toMatch(/tag does not verify/);
    expect(JSON.stringify(rejected)).not.toMatch(/tampered on the way/);
  });
});

describe('loadBackend with WSASEC_BACKEND=sim', () => {
  it('builds the backend of the machine and user named by the environment from the realm file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wsasec-env-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const realm = contosoRealm();
    const file = join(dir, 'realm.json');
    await realm.save(file);
    const env = {
      WSASEC_BACKEND: 'sim',
      WSASEC_SIM_REALM: file,
      WSASEC_SIM_MACHINE: 'client.contoso.com',
      WSASEC_SIM_USER: 'alice',
    };
    const backend = await loadBackend({ env, importer: () => import('../../src/index.js') });
    h.backends.push(backend);
    expect(backend.name).toBe('sim');
    expect(backend.currentIdentity()).toEqual({
      sid: realm.lookup('alice')?.sid,
      name: 'alice',
      domain: 'CONTOSO',
    });
    await expect(
      loadBackend({
        env: { ...env, WSASEC_SIM_MACHINE: 'nowhere.contoso.com' },
        importer: () => import('../../src/index.js'),
      }),
    ).rejects.toThrow(
      expect.objectContaining({
        code: 'ERR_WSASEC_INVALID_ARGUMENT',
        message: expect.stringMatching(/not a machine of CONTOSO/),
      }),
    );
    await expect(
      loadBackend({ env: { WSASEC_BACKEND: 'sim' }, importer: () => import('../../src/index.js') }),
    ).rejects.toThrow(
      expect.objectContaining({
        code: 'ERR_WSASEC_INVALID_ARGUMENT',
        message: expect.stringMatching(/WSASEC_SIM_REALM/),
      }),
    );
  });
});
