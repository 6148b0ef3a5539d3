// The client side against the real sim over loopback: pooling per policy, target names (including a
// valid machine of the same realm posing as the server), no clear-text fallback, allowInsecure,
// axios/got/fetch, aborts, and 500 requests over 8 sockets with every token closed afterwards.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import axios from 'axios';
import got from 'got';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSecureDispatcher, fetch, getPeerSecurity, SecureAgent } from '../src/index.js';
import {
  errorOf,
  request,
  type Started,
  startPlainServer,
  startSecureServer,
} from './support/http-helpers.js';
import {
  createSimFixture,
  QM_ENCRYPTION,
  QM_INTEGRITY,
  SERVER,
  type SimFixture,
} from './support/sim-fixture.js';

let sim: SimFixture;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('SecureAgent against the sim', () => {
  let started: Started;
  let served: { url: string; secured: boolean; encrypted: boolean; body: string }[];

  beforeAll(async () => {
    sim = createSimFixture();
    served = [];
    started = await startSecureServer(sim.server, (req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        const info = getPeerSecurity(req);
        served.push({ url: req.url ?? '', secured: info.secured, encrypted: info.encrypted, body });
        res.setHeader('x-remote-port', String(req.socket.remotePort));
        res.end(JSON.stringify({ url: req.url, secured: info.secured, encrypted: info.encrypted }));
      });
    });
  });
  afterAll(async () => {
    await started?.close();
    await sim?.close();
  });

  function agent(options: Partial<ConstructorParameters<typeof SecureAgent>[0]> = {}) {
    const created = new SecureAgent({ backend: sim.alice, peerTargetName: SERVER, ...options });
    cleanups.push(() => created.destroy());
    return created;
  }

  it('reuses a secured connection within a policy', async () => {
    const before = started.connections;
    const client = agent();
    const ports = new Set<unknown>();
    for (let i = 0; i < 4; i++) {
      const reply = await request(`${started.url}/keep/${i}`, { agent: client });
      expect(JSON.parse(reply.body)).toMatchObject({ secured: true });
      ports.add(reply.headers['x-remote-port']);
    }
    expect(ports.size).toBe(1);
    expect(started.connections - before).toBe(1);
  });

  it('keeps policies apart: integrity-only and encrypted connections are never mixed', async () => {
    const before = started.connections;
    const client = agent();
    const integrity = { protocol: 'ipsec' as const, ipsec: { quickModePolicyKey: QM_INTEGRITY } };
    const encryption = {
      protocol: 'ipsec' as const,
      guaranteeEncryption: true,
      ipsec: { quickModePolicyKey: QM_ENCRYPTION },
    };
    const replies = [];
    for (const security of [integrity, encryption, integrity, encryption]) {
      const reply = await request(`${started.url}/policy`, { agent: client, security });
      replies.push({ ...JSON.parse(reply.body), port: reply.headers['x-remote-port'] });
    }
    expect(replies.map((r) => r.encrypted)).toEqual([false, true, false, true]);
    expect(replies[0].port).toBe(replies[2].port);
    expect(replies[1].port).toBe(replies[3].port);
    expect(replies[0].port).not.toBe(replies[1].port);
    expect(started.connections - before).toBe(2);
  });

  it('takes the target name from a function of host and port', async () => {
    const seen: string[] = [];
    const client = agent({
      peerTargetName: (host, port) => {
        seen.push(`${host}:${port}`);
        return port === started.port ? SERVER : 'host/unknown.contoso.com';
      },
    });
    expect((await request(`${started.url}/fn`, { agent: client })).status).toBe(200);
    expect(seen).toContain(`127.0.0.1:${started.port}`);
  });

  it('fails on a wrong target name, and nothing of the request is sent', async () => {
    const before = { connections: started.connections, served: served.length };
    const client = agent({ peerTargetName: 'host/rogue.contoso.com' });
    const error = await errorOf(
      request(`${started.url}/secret`, { agent: client, method: 'POST' }, 'payload'),
    );
    expect(error.code).toBe('ERR_WSASEC_PEER_NAME_MISMATCH');
    expect(started.connections).toBe(before.connections);
    expect(served.length).toBe(before.served);
  });

  it('refuses a valid machine of the realm posing as the server (trusted man in the middle)', async () => {
    let reached = 0;
    const rogue = await startSecureServer(sim.rogue, (_req, res) => {
      reached++;
      res.end('stolen');
    });
    cleanups.push(() => rogue.close());
    const error = await errorOf(request(`${rogue.url}/`, { agent: agent(), method: 'POST' }, 'secret'));
    expect(error.code).toBe('ERR_WSASEC_PEER_NAME_MISMATCH');
    expect(reached).toBe(0);
    expect(rogue.connections).toBe(0);
  });

  it('never falls back to clear text against a plain server unless allowInsecure', async () => {
    const received: Buffer[] = [];
    const raw = net.createServer((socket) => socket.on('data', (chunk: Buffer) => received.push(chunk)));
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    cleanups.push(() => new Promise((resolve) => raw.close(resolve)));
    const port = (raw.address() as net.AddressInfo).port;
    const error = await errorOf(
      request(
        `http://127.0.0.1:${port}/`,
        { agent: agent({ connectTimeout: 2_000 }), method: 'POST' },
        'top secret',
      ),
    );
    expect(error.name).toBe('SecureSocketError');
    expect(['ERR_WSASEC_NEGOTIATION_FAILED', 'WSAETIMEDOUT', 'WSAECONNRESET']).toContain(error.code);
    const bytes = Buffer.concat(received).toString('latin1');
    expect(bytes).not.toContain('top secret');
    expect(bytes).not.toContain('POST');

    const plain = await startPlainServer((_req, res) => res.end('clear'));
    cleanups.push(() => plain.close());
    const lenient = agent({ security: { allowInsecure: true }, connectTimeout: 5_000 });
    const reply = await request(plain.url, { agent: lenient });
    expect([reply.status, reply.body]).toEqual([200, 'clear']);
  });

  it('works through axios, got and fetch', async () => {
    const client = agent();
    expect((await axios.get(`${started.url}/axios`, { httpAgent: client, proxy: false })).data).toMatchObject(
      {
        secured: true,
      },
    );
    expect(await got(`${started.url}/got`, { agent: { http: client } }).json()).toMatchObject({
      secured: true,
    });
    const dispatcher = createSecureDispatcher({ backend: sim.alice, peerTargetName: SERVER });
    cleanups.push(() => dispatcher.close());
    expect(await (await fetch(`${started.url}/fetch`, { dispatcher })).json()).toMatchObject({
      secured: true,
    });
    const wrong = createSecureDispatcher({ backend: sim.alice, peerTargetName: 'host/rogue.contoso.com' });
    cleanups.push(() => wrong.close());
    const error = (await errorOf(fetch(`${started.url}/fetch`, { dispatcher: wrong }))) as Error & {
      cause?: { code?: string };
    };
    expect(error.cause?.code).toBe('ERR_WSASEC_PEER_NAME_MISMATCH');
  });
});

describe('HTTPS over the sim (TLS on top of IPsec)', () => {
  beforeAll(() => {
    sim = createSimFixture();
  });
  afterAll(() => sim?.close());

  it('layers TLS on the secured socket on both sides, and IPsec still names the peer', async () => {
    const cert = readFileSync(new URL('./fixtures/tls-cert.pem', import.meta.url));
    const key = readFileSync(new URL('./fixtures/tls-key.pem', import.meta.url));
    const started = await startSecureServer(
      sim.server,
      (req, res) => {
        const info = getPeerSecurity(req);
        res.end(
          `${(req.socket as { encrypted?: boolean }).encrypted} ${info.secured} ${info.peerMachineToken?.user.sid}`,
        );
      },
      { tls: { cert, key } },
    );
    cleanups.push(() => started.close());
    const client = new SecureAgent({ backend: sim.alice, peerTargetName: SERVER, tls: { ca: cert } });
    cleanups.push(() => client.destroy());
    const reply = await request(`https://127.0.0.1:${started.port}/`, { agent: client });
    expect(reply.body).toBe(`true true ${sim.sids.client}`);
    const rogue = new SecureAgent({
      backend: sim.alice,
      peerTargetName: 'host/rogue.contoso.com',
      tls: { ca: cert },
    });
    cleanups.push(() => rogue.destroy());
    expect((await errorOf(request(`https://127.0.0.1:${started.port}/`, { agent: rogue }))).code).toBe(
      'ERR_WSASEC_PEER_NAME_MISMATCH',
    );
  });
});

describe('aborts and load against the sim', () => {
  beforeAll(() => {
    sim = createSimFixture();
  });
  afterAll(() => sim?.close());

  it('aborts a request mid-flight with an AbortSignal, and the server sees it go', async () => {
    let serverSide: Promise<unknown> | undefined;
    let arrive: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const started = await startSecureServer(sim.server, (_req, res) => {
      res.write('partial');
      serverSide = once(res, 'close');
      arrive();
    });
    cleanups.push(() => started.close());
    const client = new SecureAgent({ backend: sim.alice, peerTargetName: SERVER });
    cleanups.push(() => client.destroy());
    const controller = new AbortController();
    const failed = errorOf(request(started.url, { agent: client, signal: controller.signal }));
    await arrived;
    controller.abort();
    expect((await failed).name).toBe('AbortError');
    await serverSide;
    expect(client.freeSockets).toEqual({});
  });

  it("binds the request's localAddress and localPort, as http.Agent hands them to net; a bad one fails the request as net's", async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const localPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const started = await startSecureServer(sim.server, (req, res) => {
      res.setHeader('x-remote', `${req.socket.remoteAddress} ${req.socket.remotePort}`);
      res.end(String(getPeerSecurity(req).secured));
    });
    cleanups.push(() => started.close());
    const client = new SecureAgent({ backend: sim.alice, peerTargetName: SERVER, keepAlive: false });
    cleanups.push(() => client.destroy());
    const reply = await request(`${started.url}/local`, {
      agent: client,
      localAddress: '127.0.0.1',
      localPort,
    });
    expect(reply.body).toBe('true');
    expect(reply.headers['x-remote']).toBe(`127.0.0.1 ${localPort}`);
    const before = started.connections;
    const error = await errorOf(request(`${started.url}/bad`, { agent: client, localAddress: 'nope' }));
    expect(error).toMatchObject({ code: 'ERR_INVALID_IP_ADDRESS', name: 'TypeError' });
    expect(started.connections).toBe(before);
  });

  it('drops an idle socket the server closed, then reconnects', async () => {
    const started = await startSecureServer(sim.server, (req, res) => {
      res.end('ok');
      // As a server's idle timer would: end the kept-alive connection shortly after the response.
      res.on('finish', () => setTimeout(() => req.socket.end(), 50));
    });
    cleanups.push(() => started.close());
    const client = new SecureAgent({ backend: sim.alice, peerTargetName: SERVER });
    cleanups.push(() => client.destroy());
    expect((await request(started.url, { agent: client })).status).toBe(200);
    const [idle] = Object.values(client.freeSockets)[0] ?? [];
    expect(idle).toBeDefined();
    await once(idle as NodeJS.EventEmitter, 'close');
    expect(client.freeSockets).toEqual({});
    const again = await request(started.url, { agent: client });
    expect([again.status, again.reusedSocket]).toEqual([200, false]);
    expect(started.connections).toBe(2);
  });

  it('serves 500 concurrent requests over 8 sockets, and every token is closed afterwards', async () => {
    const users = new Set<string>();
    const started = await startSecureServer(sim.server, (req, res) => {
      const info = getPeerSecurity(req);
      users.add(info.peerMachineToken?.user.sid ?? 'none');
      res.end('ok');
    });
    const client = new SecureAgent({ backend: sim.alice, peerTargetName: SERVER, maxSockets: 8 });
    const replies = await Promise.all(
      Array.from({ length: 500 }, (_, i) => request(`${started.url}/${i}`, { agent: client })),
    );
    expect(replies.filter((r) => r.status === 200)).toHaveLength(500);
    expect(started.connections).toBe(8);
    expect(users).toEqual(new Set([sim.sids.client]));
    expect(sim.openTokens()).toBeGreaterThan(0);
    client.destroy();
    await started.close();
    expect(sim.openTokens()).toBe(0);
  });
});
