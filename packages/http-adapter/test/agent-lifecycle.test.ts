// Agent lifecycle against the loopback test double: idle sockets, server-side closes, aborts,
// refusal of clear-text connections, and input validation.
import { once } from 'node:events';
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isReusedSocketReset, SecureAgent } from '../src/index.js';
import { errorOf, request, startSecureServer } from './support/http-helpers.js';
import { createLoopbackBackend, loopbackMode, STREAM_KINDS } from './support/loopback-backend.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  handler: http.RequestListener,
  options: Parameters<typeof createLoopbackBackend>[0] = {},
) {
  const backend = createLoopbackBackend(options);
  const started = await startSecureServer(backend, handler);
  const agent = new SecureAgent({ backend, peerTargetName: 'host/server.contoso.com' });
  cleanups.push(
    () => backend.close(),
    () => started.close(),
    () => agent.destroy(),
  );
  return { backend, started, agent };
}

const ok: http.RequestListener = (req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
  });
  req.on('end', () => res.end(`${req.method} ${req.url} ${body}`));
};

function freeSocket(agent: SecureAgent): Duplex {
  const [list] = Object.values(agent.freeSockets);
  const socket = list?.[0];
  if (!socket) throw new Error('no free socket');
  return socket;
}

describe.each(STREAM_KINDS)('over %s streams', (streams) => {
  beforeAll(() => {
    loopbackMode.duplex = streams === 'Duplex';
  });
  afterAll(() => {
    loopbackMode.duplex = false;
  });

  describe('SecureAgent lifecycle (loopback double)', () => {
    it("honours the request's lookup for a host name, as http.Agent hands it to net", async () => {
      const { started, agent } = await setup(ok);
      const asked: unknown[][] = [];
      const lookup = (host: string, options: object, cb: (e: null, ip: string, family: number) => void) => {
        asked.push([host, options]);
        process.nextTick(cb, null, '127.0.0.1', 4);
      };
      const reply = await request(`http://server.wsasec.test:${started.port}/named`, {
        agent,
        lookup: lookup as never,
      });
      expect(reply.body).toBe('GET /named ');
      expect(asked).toEqual([['server.wsasec.test', { family: 4, hints: 0 }]]);
      // A lookup that is not a function fails a request that needs a new connection (another
      // host: the pooled socket is not reused), as net refuses it.
      const error = await errorOf(
        request(`http://other.wsasec.test:${started.port}/bad`, { agent, lookup: 'dns' as never }),
      );
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    });

    it('sends request bodies and works with http.get', async () => {
      const { started, agent } = await setup(ok);
      expect((await request(`${started.url}/p`, { agent, method: 'POST' }, 'payload')).body).toBe(
        'POST /p payload',
      );
      const body = await new Promise<string>((resolve, reject) => {
        http
          .get(`${started.url}/g`, { agent }, (res) => {
            res.setEncoding('utf8');
            let text = '';
            res.on('data', (c: string) => {
              text += c;
            });
            res.on('end', () => resolve(text));
          })
          .on('error', reject);
      });
      expect(body).toBe('GET /g ');
    });

    it('never lets an error on an idle pooled socket crash the process', async () => {
      const { started, agent } = await setup(ok);
      await request(started.url, { agent });
      const socket = freeSocket(agent);
      // Not events.once: it would reject on the 'error' this test provokes.
      const closed = new Promise((resolve) => socket.once('close', resolve));
      // Node's own listener for errors on idle sockets takes it (the agent adds none of its own).
      expect(socket.listenerCount('error')).toBe(1);
      socket.destroy(Object.assign(new Error('boom'), { code: 'WSAECONNRESET' }));
      await closed;
      expect(agent.freeSockets).toEqual({});
      const reply = await request(started.url, { agent });
      expect(reply.reusedSocket).toBe(false);
      expect(started.connections).toBe(2);
    });

    it('drops an idle socket the server closed, and opens a new one for the next request', async () => {
      const { started, agent } = await setup((req, res) => {
        res.end('once');
        res.on('finish', () => setImmediate(() => req.socket.destroy()));
      });
      await request(started.url, { agent });
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(agent.freeSockets).toEqual({});
      const reply = await request(started.url, { agent });
      expect(reply.body).toBe('once');
      expect(reply.reusedSocket).toBe(false);
    });

    it('lets a request that raced a server-side close be retried as Node documents', async () => {
      let served = 0;
      const { started, agent } = await setup((req, res) => {
        served++;
        // The second request on a connection finds it closed, as when the server's idle timer fires.
        if ((req.socket as { seen?: boolean }).seen) return void req.socket.destroy();
        (req.socket as { seen?: boolean }).seen = true;
        res.end('fresh');
      });
      await request(started.url, { agent });
      const attempt = (retries: number): Promise<{ body: string; retried: number }> =>
        new Promise((resolve, reject) => {
          const req = http.get(started.url, { agent }, (res) => {
            res.resume();
            res.on('end', () => resolve({ body: 'fresh', retried: 1 - retries }));
          });
          req.on('error', (error) => {
            if (retries > 0 && isReusedSocketReset(req, error)) resolve(attempt(retries - 1));
            else reject(error);
          });
        });
      const result = await attempt(1);
      expect(result.retried).toBe(1);
      expect(served).toBe(3);
      expect(started.connections).toBe(2);
    });

    it('aborts a request mid-flight with an AbortSignal', async () => {
      let closedOnServer: Promise<unknown> | undefined;
      let arrive: () => void = () => {};
      const arrived = new Promise<void>((resolve) => {
        arrive = resolve;
      });
      const { started, agent } = await setup((_req, res) => {
        res.write('partial');
        closedOnServer = once(res, 'close');
        arrive();
      });
      const controller = new AbortController();
      const failed = errorOf(request(started.url, { agent, signal: controller.signal }));
      await arrived;
      controller.abort();
      const error = await failed;
      expect(error.name).toBe('AbortError');
      await closedOnServer;
      expect(agent.freeSockets).toEqual({});
    });

    it('aborts a request whose connection is still being secured, promptly', async () => {
      const { backend, started, agent } = await setup(ok, { connectDelay: 5_000 });
      const controller = new AbortController();
      const failed = errorOf(request(started.url, { agent, signal: controller.signal }));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(backend.stats.connectsStarted).toBe(1);
      controller.abort();
      const error = await failed;
      expect(error.name).toBe('AbortError');
      expect(backend.stats.connects).toBe(0);
      expect(started.connections).toBe(0);
      expect(agent.sockets).toEqual({});
    });

    it("hands out the socket at once, connecting, as http.Agent does: 'socket', then 'connect'", async () => {
      const { backend, started, agent } = await setup(ok, { connectDelay: 50 });
      const req = http.request(`${started.url}/early`, { agent, method: 'POST' });
      const seen: string[] = [];
      const socket = await new Promise<Duplex & { connecting: boolean; readyState: string }>((resolve) =>
        req.once('socket', resolve as never),
      );
      // While the negotiation runs: connecting, writes accepted and held back.
      expect(socket.connecting).toBe(true);
      expect(socket.readyState).toBe('opening');
      expect(backend.stats.connects).toBe(0);
      socket.once('connect', () => seen.push(`connect (server saw ${started.connections})`));
      req.end('written early');
      const [res] = (await once(req, 'response')) as [http.IncomingMessage];
      let body = '';
      for await (const chunk of res) body += chunk;
      expect(body).toBe('POST /early written early');
      expect(seen).toEqual(['connect (server saw 1)']);
      expect(socket.connecting).toBe(false);
    });

    it('aborts pending connects when the agent is destroyed', async () => {
      const { backend, started, agent } = await setup(ok, { connectDelay: 5_000 });
      const failed = errorOf(request(started.url, { agent }));
      await new Promise((resolve) => setTimeout(resolve, 20));
      agent.destroy();
      // As http.Agent: destroying the agent destroys its connecting sockets; the request hangs up.
      const error = await failed;
      expect(error.code).toBe('ECONNRESET');
      expect(error.message).toBe('socket hang up');
      // The negotiation was cancelled, not finished in the background.
      expect(backend.stats.connects).toBe(0);
      expect(backend.stats.pendingNow).toBe(0);
    });

    it('refuses a clear-text connection unless the settings allow insecure', async () => {
      let handled = 0;
      const { backend, started } = await setup(
        (_req, res) => {
          handled++;
          res.end('x');
        },
        { reportInsecure: true },
      );
      const agent = new SecureAgent({ backend, peerTargetName: 'host/server.contoso.com' });
      const lenient = new SecureAgent({
        backend,
        peerTargetName: 'host/server.contoso.com',
        security: { allowInsecure: true },
      });
      cleanups.push(
        () => agent.destroy(),
        () => lenient.destroy(),
      );
      const error = await errorOf(request(started.url, { agent, method: 'POST' }, 'secret'));
      expect(error.code).toBe('ERR_WSASEC_NEGOTIATION_FAILED');
      expect(handled).toBe(0);
      expect((await request(started.url, { agent: lenient })).body).toBe('x');
    });

    it('applies the agent timeout to idle sockets and request timeouts to busy ones', async () => {
      const { started } = await setup(ok);
      const backend = createLoopbackBackend();
      cleanups.push(() => backend.close());
      const agent = new SecureAgent({ backend, timeout: 50 });
      cleanups.push(() => agent.destroy());
      await request(started.url, { agent });
      const socket = freeSocket(agent);
      await once(socket, 'close');
      expect(agent.freeSockets).toEqual({});
    });
  });
});

describe('SecureAgent input validation', () => {
  const backend = createLoopbackBackend();
  afterEach(() => backend.close());

  it.each([
    ['no options', undefined, 'ERR_WSASEC_INVALID_ARGUMENT'],
    ['no backend', {}, 'ERR_WSASEC_INVALID_ARGUMENT'],
    ['a backend of the wrong shape', { backend: { connect() {} } }, 'ERR_WSASEC_INVALID_ARGUMENT'],
    ['settings of the wrong type', { backend, security: 'ipsec' }, 'WSAEINVAL'],
    ['an unknown settings field', { backend, security: { encrypt: true } }, 'WSAEINVAL'],
    ['a bad policy GUID', { backend, security: { ipsec: { mainModePolicyKey: 'nope' } } }, 'WSAEINVAL'],
    [
      'an over-long password',
      { backend, security: { ipsec: { credentials: { user: 'a', password: 'x'.repeat(300) } } } },
      'WSAEMSGSIZE',
    ],
    ['a target name of the wrong type', { backend, peerTargetName: 42 }, 'ERR_WSASEC_INVALID_ARGUMENT'],
    ['an empty target name', { backend, peerTargetName: '' }, 'WSAEINVAL'],
    ['a bad tls option', { backend, tls: 'yes' }, 'ERR_WSASEC_INVALID_ARGUMENT'],
    ['a bad connectTimeout', { backend, connectTimeout: -1 }, 'WSAEINVAL'],
    ['socketPath', { backend, socketPath: '/tmp/x.sock' }, 'WSAEOPNOTSUPP'],
  ])('refuses %s with a SecureSocketError', (_label, options, code) => {
    let thrown: unknown;
    try {
      new SecureAgent(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'SecureSocketError', code });
    expect((thrown as Error).message.length).toBeGreaterThan(20);
  });

  it('refuses a target-name function that returns a non-name, and bad per-request settings', () => {
    const agent = new SecureAgent({ backend, peerTargetName: () => 7 as never });
    const strict = new SecureAgent({ backend });
    try {
      expect(() => http.request('http://127.0.0.1:9/', { agent })).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
      expect(() =>
        http.request('http://127.0.0.1:9/', { agent: strict, security: { protocol: 9 } } as never),
      ).toThrow(expect.objectContaining({ code: 'WSAEINVAL' }));
    } finally {
      agent.destroy();
      strict.destroy();
    }
  });

  it('createConnection returns a connecting socket at once, as net.createConnection', () => {
    const agent = new SecureAgent({ backend, peerTargetName: 'host/server.contoso.com' });
    const socket = agent.createConnection({ host: '127.0.0.1', port: 9 }) as Duplex & {
      connecting: boolean;
    };
    expect(socket.connecting).toBe(true);
    socket.on('error', () => {});
    socket.destroy();
    agent.destroy();
  });

  it('createConnection throws bad settings without a callback, and hands them to a callback', async () => {
    const agent = new SecureAgent({ backend, peerTargetName: 'host/server.contoso.com' });
    const bad = { host: '127.0.0.1', port: 9, security: { protocol: 9 } } as never;
    expect(() => agent.createConnection(bad)).toThrow(expect.objectContaining({ code: 'WSAEINVAL' }));
    let called = false;
    const error = await new Promise<Error | null>((resolve) => {
      const returned = agent.createConnection(bad, (e) => {
        called = true;
        resolve(e);
      });
      expect(returned).toBeUndefined();
      // Never synchronously: the callback runs on a later tick, as every Node callback.
      expect(called).toBe(false);
    });
    expect(error).toMatchObject({ name: 'SecureSocketError', code: 'WSAEINVAL' });
    agent.destroy();
  });
});
