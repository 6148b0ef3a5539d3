// Per-request peer security, impersonation and requirePeerAccess, mechanics only, against the
// loopback test double (fake tokens, toy DACL). The same paths against the sim: sim-server.test.ts.
import type * as http from 'node:http';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createSecureServer,
  getPeerSecurity,
  impersonateRequestPeer,
  requirePeerAccess,
  SecureAgent,
} from '../src/index.js';
import {
  errorOf,
  request,
  type Started,
  startPlainServer,
  startSecureServer,
} from './support/http-helpers.js';
import { createLoopbackBackend, loopbackMode, STREAM_KINDS } from './support/loopback-backend.js';

const ALICE = 'S-1-5-21-1-2-3-1105';
const backend = createLoopbackBackend();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => backend.close());

async function serve(
  handler: http.RequestListener,
  options: { security?: object; backendOptions?: object } = {},
) {
  const serverBackend = options.backendOptions ? createLoopbackBackend(options.backendOptions) : backend;
  const started = await startSecureServer(
    serverBackend,
    handler,
    options.security ? { security: options.security } : {},
  );
  const agent = new SecureAgent({ backend: serverBackend, security: options.security as never });
  if (serverBackend !== backend) cleanups.push(() => serverBackend.close());
  cleanups.push(
    () => started.close(),
    () => agent.destroy(),
  );
  return { started, agent };
}

describe.each(STREAM_KINDS)('over %s streams', (streams) => {
  beforeAll(() => {
    loopbackMode.duplex = streams === 'Duplex';
  });
  afterAll(() => {
    loopbackMode.duplex = false;
  });

  describe('getPeerSecurity and impersonateRequestPeer (loopback double)', () => {
    it('queries once per connection, owns the result, and closes its tokens with the connection', async () => {
      const seen: unknown[] = [];
      const { started, agent } = await serve((req, res) => {
        const info = getPeerSecurity(req);
        seen.push(info);
        info.close();
        res.end(
          `${info.secured} ${info.peerApplicationToken?.user.name} ${info.peerApplicationToken?.closed}`,
        );
      });
      expect((await request(started.url, { agent })).body).toBe('true alice false');
      expect((await request(started.url, { agent })).body).toBe('true alice false');
      expect(seen[0]).toBe(seen[1]);
      expect(backend.stats.openTokens).toBe(2);
      agent.destroy();
      await started.close();
      expect(backend.stats.openTokens).toBe(0);
    });

    it('refuses a request that did not come through createSecureServer', async () => {
      let thrown: unknown;
      const plain = await startPlainServer((req, res) => {
        try {
          getPeerSecurity(req);
        } catch (error) {
          thrown = error;
        }
        res.end();
      });
      cleanups.push(() => plain.close());
      await request(plain.url, {});
      expect(thrown).toMatchObject({ name: 'SecureSocketError', code: 'ERR_WSASEC_INVALID_ARGUMENT' });
      expect(() => getPeerSecurity({} as never)).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
      expect(() => impersonateRequestPeer(null as never, () => 1)).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
    });

    it('runs a synchronous callback as the peer and reverts; refuses an async one', async () => {
      const { started, agent } = await serve((req, res) => {
        const inside = impersonateRequestPeer(req, () => backend.currentIdentity().name);
        let code: string | undefined;
        try {
          impersonateRequestPeer(req, async () => backend.currentIdentity());
        } catch (error) {
          code = (error as { code?: string }).code;
        }
        res.end(`${inside} ${backend.currentIdentity().name} ${code}`);
      });
      expect((await request(started.url, { agent })).body).toBe(
        'alice tester ERR_WSASEC_ASYNC_IMPERSONATION',
      );
    });
  });

  describe('requirePeerAccess (loopback double)', () => {
    it('refuses bad options with SecureSocketErrors', () => {
      expect(() => requirePeerAccess(undefined as never)).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
      expect(() => requirePeerAccess({ sddl: '', access: 1 })).toThrow(
        expect.objectContaining({ code: 'WSAEINVAL' }),
      );
      expect(() => requirePeerAccess({ sddl: 'D:', access: 0 })).toThrow(
        expect.objectContaining({ code: 'WSAEINVAL' }),
      );
      expect(() => requirePeerAccess({ sddl: 'D:', access: 1.5 })).toThrow(
        expect.objectContaining({ code: 'WSAEINVAL' }),
      );
      expect(() => requirePeerAccess({ sddl: 'D:', access: 1, token: 'user' as never })).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
    });

    async function guarded(options: Parameters<typeof requirePeerAccess>[0], serveOptions = {}) {
      const guard = requirePeerAccess(options);
      let reached = 0;
      const setup = await serve((req, res) => {
        if (!guard(req, res)) return;
        reached++;
        res.end('payroll data');
      }, serveOptions);
      return { ...setup, reached: () => reached };
    }

    it('lets a granted peer through', async () => {
      const { started, agent, reached } = await guarded({ sddl: `D:(A;;0x1;;;${ALICE})`, access: 1 });
      const reply = await request(started.url, { agent });
      expect([reply.status, reply.body, reached()]).toEqual([200, 'payroll data', 1]);
    });

    it('answers 403 with nothing about the descriptor, the peer or the reason', async () => {
      const sddl = 'D:(A;;0x1;;;S-1-5-21-9-9-9-512)';
      const { started, agent, reached } = await guarded({ sddl, access: 1 });
      const reply = await request(started.url, { agent });
      expect([reply.status, reply.body, reached()]).toEqual([403, 'Forbidden', 0]);
      const everything = JSON.stringify(reply);
      for (const secret of [ALICE, 'alice', 'S-1-5-21-9-9-9-512', 'D:(', 'Everyone'])
        expect(everything).not.toContain(secret);
    });

    it('answers 403 when only some of the requested rights are granted', async () => {
      const { started, agent } = await guarded({ sddl: `D:(A;;0x1;;;${ALICE})`, access: 3 });
      expect((await request(started.url, { agent })).status).toBe(403);
    });

    it('checks the machine token when asked', async () => {
      const granted = await guarded({ sddl: 'D:(A;;0x1;;;S-1-5-18)', access: 1, token: 'machine' });
      expect((await request(granted.started.url, { agent: granted.agent })).status).toBe(200);
      const userOnly = await guarded({ sddl: 'D:(A;;0x1;;;S-1-5-18)', access: 1, token: 'application' });
      expect((await request(userOnly.started.url, { agent: userOnly.agent })).status).toBe(403);
    });

    it('answers 401 on a connection that is not secured', async () => {
      const { started, agent, reached } = await guarded(
        { sddl: `D:(A;;0x1;;;${ALICE})`, access: 1 },
        { security: { allowInsecure: true }, backendOptions: { reportInsecure: true } },
      );
      const reply = await request(started.url, { agent });
      expect([reply.status, reply.body, reached()]).toEqual([401, 'Unauthorized', 0]);
    });

    it('answers 500 without detail for a malformed descriptor', async () => {
      const { started, agent } = await guarded({ sddl: 'O:garbage', access: 1 });
      const reply = await request(started.url, { agent });
      expect([reply.status, reply.body]).toEqual([500, 'Internal Server Error']);
    });

    it('works as Express middleware: next() when granted, 403 when not, next(error) when misconfigured', async () => {
      const app = express();
      app.get('/ok', requirePeerAccess({ sddl: `D:(A;;0x1;;;${ALICE})`, access: 1 }), (_req, res) => {
        res.send('granted');
      });
      app.get(
        '/no',
        requirePeerAccess({ sddl: 'D:(A;;0x1;;;S-1-5-21-9-9-9-512)', access: 1 }),
        (_req, res) => {
          res.send('should not happen');
        },
      );
      app.get('/bad', requirePeerAccess({ sddl: 'nonsense', access: 1 }), (_req, res) => {
        res.send('should not happen');
      });
      let handled: unknown;
      app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        handled = error;
        res.status(500).send('oops');
      });
      const server = createSecureServer({ backend }, app);
      const started: Started = await new Promise((resolve) => {
        server.listen(0, () => {
          const port = (server.address() as { port: number }).port;
          resolve({ server, port, url: `http://127.0.0.1:${port}`, connections: 0, close: async () => {} });
        });
      });
      const agent = new SecureAgent({ backend });
      cleanups.push(
        () => new Promise<void>((resolve) => server.close(() => resolve())),
        () => agent.destroy(),
      );
      expect((await request(`${started.url}/ok`, { agent })).body).toBe('granted');
      const denied = await request(`${started.url}/no`, { agent });
      expect([denied.status, denied.body]).toEqual([403, 'Forbidden']);
      expect((await request(`${started.url}/bad`, { agent })).body).toBe('oops');
      expect(handled).toMatchObject({ code: 'WSAEINVAL' });
    });

    it('still refuses a request from a plain server: 500, not a crash', async () => {
      const guard = requirePeerAccess({ sddl: 'D:(A;;GA;;;S-1-1-0)', access: 1 });
      const plain = await startPlainServer((req, res) => {
        if (guard(req, res)) res.end('nope');
      });
      cleanups.push(() => plain.close());
      expect((await request(plain.url, {})).status).toBe(500);
      expect(await errorOf(Promise.reject(Object.assign(new Error('x'), { code: 'y' })))).toMatchObject({
        code: 'y',
      });
    });
  });
});
