// Agent mechanics against the loopback test double (plain TCP, no real security): pooling, keys,
// maxSockets, queued requests after failures. Security behaviour is in the sim-*.test.ts files.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SecureAgent } from '../src/index.js';
import { errorOf, request, startSecureServer } from './support/http-helpers.js';
import {
  createLoopbackBackend,
  type LoopbackBackend,
  loopbackMode,
  STREAM_KINDS,
} from './support/loopback-backend.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: Parameters<typeof createLoopbackBackend>[0] = {}) {
  const backend = createLoopbackBackend(options);
  const started = await startSecureServer(backend, (req, res) => {
    res.setHeader('x-remote-port', String(req.socket.remotePort));
    res.end(`hello ${req.method} ${req.url}`);
  });
  cleanups.push(
    () => backend.close(),
    () => started.close(),
  );
  return { backend, started };
}

function agentFor(
  backend: LoopbackBackend,
  options: Partial<ConstructorParameters<typeof SecureAgent>[0]> = {},
) {
  const agent = new SecureAgent({ backend, peerTargetName: 'host/server.contoso.com', ...options });
  cleanups.push(() => agent.destroy());
  return agent;
}

describe.each(STREAM_KINDS)('over %s streams', (streams) => {
  beforeAll(() => {
    loopbackMode.duplex = streams === 'Duplex';
  });
  afterAll(() => {
    loopbackMode.duplex = false;
  });

  describe('SecureAgent pooling (loopback double)', () => {
    it('reuses one secured connection for sequential keep-alive requests', async () => {
      const { backend, started } = await setup();
      const agent = agentFor(backend);
      const ports = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const reply = await request(`${started.url}/r${i}`, { agent });
        expect(reply.body).toBe(`hello GET /r${i}`);
        ports.add(String(reply.headers['x-remote-port']));
        expect(reply.reusedSocket).toBe(i > 0);
      }
      expect(ports.size).toBe(1);
      expect(started.connections).toBe(1);
      expect(backend.stats.connects).toBe(1);
    });

    it('keeps sockets secured differently apart, and reuses each within its policy', async () => {
      const { backend, started } = await setup();
      const agent = agentFor(backend);
      const strict = { guaranteeEncryption: true };
      const a1 = await request(started.url, { agent });
      const b1 = await request(started.url, { agent, security: strict });
      const a2 = await request(started.url, { agent });
      const b2 = await request(started.url, { agent, security: { guaranteeEncryption: true } });
      expect(a1.headers['x-remote-port']).toBe(a2.headers['x-remote-port']);
      expect(b1.headers['x-remote-port']).toBe(b2.headers['x-remote-port']);
      expect(a1.headers['x-remote-port']).not.toBe(b1.headers['x-remote-port']);
      expect([a2.reusedSocket, b2.reusedSocket]).toEqual([true, true]);
      expect(started.connections).toBe(2);
      expect(Object.keys(agent.freeSockets)).toHaveLength(2);
    });

    it('puts every security-relevant field in the pool key, and never the password', () => {
      const backend = createLoopbackBackend();
      cleanups.push(() => backend.close());
      const agent = agentFor(backend, { peerTargetName: undefined });
      const base = { host: 'server.contoso.com', port: 80 };
      const ipsec = (extra: object) => ({ protocol: 'ipsec' as const, ipsec: { ...extra } });
      const variants = [
        undefined,
        {},
        { protocol: 'ipsec' as const },
        { protocol: 'ipsec2' as const },
        { guaranteeEncryption: true },
        { allowInsecure: true },
        ipsec({ skipFilterInstantiation: true }),
        ipsec({ optionalPeerNameVerification: true }),
        ipsec({ allowFirstInboundPacketUnencrypted: true }),
        ipsec({ peerNameIsRawFormat: true }),
        ipsec({ mainModePolicyKey: '11111111-2222-3333-4444-555555555555' }),
        ipsec({ quickModePolicyKey: '11111111-2222-3333-4444-555555555555' }),
        ipsec({ credentials: { user: 'alice', password: 'correct horse' } }),
        ipsec({ credentials: { user: 'bob', password: 'correct horse' } }),
        ipsec({ credentials: { user: 'alice', domain: 'FABRIKAM', password: 'correct horse' } }),
        ipsec({ credentials: { user: 'alice', password: 'wrong horse' } }),
      ];
      const names = variants.map((security) => agent.getName({ ...base, security } as never));
      expect(new Set(names).size).toBe(variants.length);
      for (const name of names) expect(name).not.toMatch(/horse/);
      expect(names[12]).toContain('alice');
      // Same settings, same key (the keyed digest is stable within one agent).
      const again = agent.getName({
        ...base,
        security: ipsec({ credentials: { user: 'alice', password: 'correct horse' } }),
      } as never);
      expect(again).toBe(names[12]);
      // The target name and the address are in the key too.
      expect(agent.getName({ ...base, peerTargetName: 'host/other.contoso.com' } as never)).not.toBe(
        names[0],
      );
      expect(agent.getName({ ...base, host: 'other.contoso.com' })).not.toBe(names[0]);
      expect(agent.getName({ ...base, port: 81 })).not.toBe(names[0]);
      // The agent's own settings: Node's key alone (every socket of the agent has them), as
      // http.Agent names it; a request's own settings or target name are appended.
      expect(names[0]).toBe('server.contoso.com:80:');
      expect(agent.getName({ ...base, peerTargetName: 'host/server.contoso.com' } as never)).toContain(
        '|wsasec|',
      );
      expect(agent.getName({ ...base, peerTargetName: 'host/server.contoso.com' } as never)).toContain(
        'host/server.contoso.com',
      );
    });

    it('takes the target name from a function of host and port, default host/<hostname>', async () => {
      const { backend, started } = await setup();
      const calls: string[] = [];
      const agent = agentFor(backend, {
        peerTargetName: (host, port) => {
          calls.push(`${host}:${port}`);
          return `host/srv-${port}.contoso.com`;
        },
      });
      await request(started.url, { agent });
      expect(backend.stats.targetNames).toEqual([`host/srv-${started.port}.contoso.com`]);
      expect(calls).toContain(`127.0.0.1:${started.port}`);

      const plain = agentFor(backend, { peerTargetName: undefined });
      await request(`http://localhost:${started.port}/`, { agent: plain, family: 4 });
      expect(backend.stats.targetNames[1]).toBe('host/localhost');
    });

    it('holds maxSockets while connects are pending', async () => {
      const { backend, started } = await setup({ connectDelay: 40 });
      const agent = agentFor(backend, { maxSockets: 2 });
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) => request(`${started.url}/${i}`, { agent })),
      );
      expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(backend.stats.pendingMax).toBeLessThanOrEqual(2);
      expect(backend.stats.connectsStarted).toBe(2);
      expect(started.connections).toBe(2);
    });

    it('holds maxTotalSockets across origins while connecting', async () => {
      const { backend, started } = await setup({ connectDelay: 30 });
      const agent = agentFor(backend, { maxTotalSockets: 1, peerTargetName: undefined });
      const urls = [started.url, `http://localhost:${started.port}`];
      const replies = await Promise.all(
        Array.from({ length: 6 }, (_, i) => request(`${urls[i % 2]}/${i}`, { agent, family: 4 })),
      );
      expect(replies.every((r) => r.status === 200)).toBe(true);
      expect(backend.stats.pendingMax).toBe(1);
    });

    it('fails every queued request when connects fail, without hanging', async () => {
      const { backend, started } = await setup({ serverName: 'host/server.contoso.com' });
      const agent = agentFor(backend, { maxSockets: 1, peerTargetName: 'host/evil.contoso.com' });
      const errors = await Promise.all(
        Array.from({ length: 3 }, () => errorOf(request(started.url, { agent }))),
      );
      expect(errors.map((e) => e.code)).toEqual(Array(3).fill('ERR_WSASEC_PEER_NAME_MISMATCH'));
      expect(started.connections).toBe(0);
      expect(agent.sockets).toEqual({});
      expect((agent as unknown as { totalSocketCount: number }).totalSocketCount).toBe(0);
    });

    it('reports a refused connection as a SecureSocketError on the request', async () => {
      const { backend, started } = await setup();
      const agent = agentFor(backend);
      const port = started.port;
      await started.close();
      const error = await errorOf(request(`http://127.0.0.1:${port}/`, { agent }));
      expect(error.code).toBe('WSAECONNREFUSED');
      expect(error.name).toBe('SecureSocketError');
    });
  });
});
