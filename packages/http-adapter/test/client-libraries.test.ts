// The client entry points with the real libraries (axios, got, undici fetch, Node's https), against
// the loopback test double. The README's combinations are the ones tested here.
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import axios from 'axios';
import got from 'got';
import { Client, Pool } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createSecureConnector,
  createSecureDispatcher,
  fetch,
  getPeerSecurity,
  impersonateRequestPeer,
  SecureAgent,
} from '../src/index.js';
import { errorOf, request, startSecureServer } from './support/http-helpers.js';
import { createLoopbackBackend, loopbackMode, STREAM_KINDS } from './support/loopback-backend.js';

const cert = readFileSync(new URL('./fixtures/tls-cert.pem', import.meta.url));
const key = readFileSync(new URL('./fixtures/tls-key.pem', import.meta.url));
const backend = createLoopbackBackend({ serverName: 'host/server.contoso.com' });
const target = 'host/server.contoso.com';
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => backend.close());

async function echoServer(options: { tls?: object } = {}) {
  const started = await startSecureServer(
    backend,
    (req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ method: req.method, url: req.url, body, port: req.socket.remotePort }));
      });
    },
    options,
  );
  cleanups.push(() => started.close());
  return started;
}

describe.each(STREAM_KINDS)('over %s streams', (streams) => {
  beforeAll(() => {
    loopbackMode.duplex = streams === 'Duplex';
  });
  afterAll(() => {
    loopbackMode.duplex = false;
  });

  describe('client libraries over SecureAgent and the dispatcher (loopback double)', () => {
    it('axios with httpAgent', async () => {
      const started = await echoServer();
      const agent = new SecureAgent({ backend, peerTargetName: target });
      cleanups.push(() => agent.destroy());
      const first = await axios.get(`${started.url}/a`, { httpAgent: agent, proxy: false });
      const second = await axios.post(`${started.url}/b`, { n: 1 }, { httpAgent: agent, proxy: false });
      expect(first.data).toMatchObject({ method: 'GET', url: '/a' });
      expect(second.data).toMatchObject({ method: 'POST', url: '/b', body: '{"n":1}' });
      expect(second.data.port).toBe(first.data.port);
      const wrong = new SecureAgent({ backend, peerTargetName: 'host/evil.contoso.com' });
      cleanups.push(() => wrong.destroy());
      const error = await errorOf(axios.get(started.url, { httpAgent: wrong, proxy: false }));
      expect(error.code).toBe('ERR_WSASEC_PEER_NAME_MISMATCH');
    });

    it('got with agent.http', async () => {
      const started = await echoServer();
      const agent = new SecureAgent({ backend, peerTargetName: target });
      cleanups.push(() => agent.destroy());
      const first = await got(`${started.url}/a`, { agent: { http: agent } }).json<{ port: number }>();
      const second = await got
        .post(`${started.url}/b`, { agent: { http: agent }, body: 'x' })
        .json<{ body: string; port: number }>();
      expect(second).toMatchObject({ body: 'x', port: first.port });
      const wrong = new SecureAgent({ backend, peerTargetName: 'host/evil.contoso.com' });
      cleanups.push(() => wrong.destroy());
      const error = await errorOf(got(started.url, { agent: { http: wrong }, retry: { limit: 0 } }));
      expect(error.code).toBe('ERR_WSASEC_PEER_NAME_MISMATCH');
    });

    it("the package's fetch (undici 7) with createSecureDispatcher", async () => {
      const started = await echoServer();
      // undici may open a second connection while the first is finishing; `connections: 1` (an undici
      // option passed through) makes the reuse deterministic.
      const dispatcher = createSecureDispatcher({ backend, peerTargetName: target, connections: 1 });
      cleanups.push(() => dispatcher.close());
      const first = await (await fetch(`${started.url}/a`, { dispatcher })).json();
      const second = await (
        await fetch(`${started.url}/b`, { dispatcher, method: 'POST', body: 'hi' })
      ).json();
      expect(second).toMatchObject({ method: 'POST', body: 'hi', port: (first as { port: number }).port });
      expect(started.connections).toBe(1);
    });

    it("undici's Pool and Client take createSecureConnector as their connect option", async () => {
      const started = await echoServer();
      const connect = createSecureConnector({ backend, peerTargetName: target });
      const pool = new Pool(started.url, { connect, connections: 2 });
      const client = new Client(started.url, { connect });
      cleanups.push(
        () => pool.close(),
        () => client.close(),
      );
      const viaPool = await pool.request({ path: '/pool', method: 'GET' });
      expect(await viaPool.body.json()).toMatchObject({ url: '/pool' });
      const viaClient = await client.request({ path: '/client', method: 'POST', body: 'x' });
      expect(await viaClient.body.json()).toMatchObject({ url: '/client', method: 'POST', body: 'x' });
      expect(started.connections).toBe(2);
    });

    it('createSecureConnector fails the request, and sends nothing, when the target name is wrong', async () => {
      let served = 0;
      const started = await startSecureServer(backend, (_req, res) => {
        served++;
        res.end();
      });
      cleanups.push(() => started.close());
      const client = new Client(started.url, {
        connect: createSecureConnector({ backend, peerTargetName: 'host/evil.contoso.com' }),
      });
      cleanups.push(() => client.destroy());
      const error = await client.request({ path: '/', method: 'GET' }).then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      );
      expect(error?.code).toBe('ERR_WSASEC_PEER_NAME_MISMATCH');
      expect(served).toBe(0);
    });

    it('createSecureConnector refuses bad options with a SecureSocketError', () => {
      expect(() => createSecureConnector(undefined as never)).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
      expect(() => createSecureConnector({ backend, tls: 'yes' as never })).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
      expect(() => createSecureConnector({ backend, security: { protocol: 9 } as never })).toThrow(
        expect.objectContaining({ code: 'WSAEINVAL' }),
      );
    });

    it("Node's global fetch with the same dispatcher (the undici bundled in Node)", async () => {
      const started = await echoServer();
      const dispatcher = createSecureDispatcher({ backend, peerTargetName: target });
      cleanups.push(() => dispatcher.close());
      const response = await globalThis.fetch(`${started.url}/g`, { dispatcher } as unknown as RequestInit);
      expect(await response.json()).toMatchObject({ url: '/g' });
    });

    it('fetch fails — and sends nothing — when the target name is wrong', async () => {
      let served = 0;
      const started = await startSecureServer(backend, (_req, res) => {
        served++;
        res.end();
      });
      cleanups.push(() => started.close());
      const dispatcher = createSecureDispatcher({ backend, peerTargetName: () => 'host/evil.contoso.com' });
      cleanups.push(() => dispatcher.close());
      const error = (await errorOf(
        fetch(started.url, { dispatcher, method: 'POST', body: 'secret' }),
      )) as Error & {
        cause?: { code?: string };
      };
      expect(error.name).toBe('TypeError');
      expect(error.cause?.code).toBe('ERR_WSASEC_PEER_NAME_MISMATCH');
      expect(served).toBe(0);
      expect(started.connections).toBe(0);
    });

    it('refuses bad dispatcher options with SecureSocketErrors', () => {
      expect(() => createSecureDispatcher(undefined as never)).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
      expect(() => createSecureDispatcher({} as never)).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
      expect(() => createSecureDispatcher({ backend, security: { ipsec: {}, protocol: 'default' } })).toThrow(
        expect.objectContaining({ code: 'WSAEINVAL' }),
      );
      expect(() => createSecureDispatcher({ backend, peerTargetName: [] as never })).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
      expect(() => createSecureDispatcher({ backend, connect: () => {} } as never)).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
      expect(() => createSecureDispatcher({ backend, tls: 1 as never })).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
    });
  });

  describe('HTTPS over a secured socket (TLS on top of the backend)', () => {
    it('SecureAgent with tls serves https: through https.request and got', async () => {
      const started = await echoServer({ tls: { cert, key } });
      const agent = new SecureAgent({
        backend,
        peerTargetName: target,
        tls: { ca: cert, servername: 'server.contoso.com' },
      });
      cleanups.push(() => agent.destroy());
      const url = `https://127.0.0.1:${started.port}`;
      const first = JSON.parse((await request(`${url}/a`, { agent })).body);
      const second = await got(`${url}/b`, {
        agent: { https: agent },
        https: { certificateAuthority: cert },
      }).json<{
        port: number;
      }>();
      expect(first).toMatchObject({ url: '/a' });
      expect(typeof second.port).toBe('number');
      const viaHttps = await new Promise<number>((resolve, reject) =>
        https.get(`${url}/c`, { agent }, (res) => resolve(res.statusCode ?? 0)).on('error', reject),
      );
      expect(viaHttps).toBe(200);
    });

    it('TLS still verifies the certificate under the secured socket', async () => {
      const started = await echoServer({ tls: { cert, key } });
      const agent = new SecureAgent({ backend, peerTargetName: target, tls: true });
      cleanups.push(() => agent.destroy());
      const error = await errorOf(request(`https://127.0.0.1:${started.port}/`, { agent }));
      expect(error.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    });

    it('the dispatcher layers TLS for https: URLs', async () => {
      const started = await echoServer({ tls: { cert, key } });
      const dispatcher = createSecureDispatcher({ backend, peerTargetName: target, tls: { ca: cert } });
      cleanups.push(() => dispatcher.close());
      const response = await fetch(`https://127.0.0.1:${started.port}/t`, { dispatcher });
      expect(await response.json()).toMatchObject({ url: '/t' });
    });

    it('a TLS server still answers getPeerSecurity and impersonation for the connection under TLS', async () => {
      const started = await startSecureServer(
        backend,
        (req, res) => {
          const info = getPeerSecurity(req);
          const name = impersonateRequestPeer(req, () => backend.currentIdentity().name);
          res.end(`${info.secured} ${info.peerApplicationToken?.user.name} ${name} ${req.socket.remotePort}`);
        },
        { tls: { cert, key } },
      );
      cleanups.push(() => started.close());
      const agent = new SecureAgent({ backend, peerTargetName: target, tls: { ca: cert } });
      cleanups.push(() => agent.destroy());
      const reply = await request(`https://127.0.0.1:${started.port}/`, { agent });
      expect(reply.body).toMatch(/^true alice alice \d+$/);
    });
  });
});
