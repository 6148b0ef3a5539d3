// createSecureHttp2Server and connectSecureHttp2 on the sim: h2c over secured sockets with real
// HTTP/2 clients (Node's http2, undici with allowH2), the peer's identity per stream, access checks
// per stream, and every failure reaching the caller as an 'error'.
import { once } from 'node:events';
import type * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { FILE_GENERIC_READ } from '@wsasec/core';
import { Client } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  connectSecureHttp2,
  createSecureConnector,
  createSecureHttp2Server,
  getPeerSecurity,
  impersonateRequestPeer,
} from '../src/index.js';
import { createSimFixture, SERVER, type SimFixture, WITH_USERS } from './support/sim-fixture.js';

interface Seen {
  path: string;
  httpVersion: string;
  user: string | undefined;
  machine: string | undefined;
  encrypted: boolean;
  actingAs: string;
}

let sim: SimFixture;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});
beforeAll(() => {
  sim = createSimFixture();
});
afterAll(async () => {
  await sim.close();
});

/** A started server whose handler records who each request came from. */
async function startServer(
  options: Partial<Parameters<typeof createSecureHttp2Server>[0]> = {},
): Promise<{ server: http2.Http2Server; url: string; seen: Seen[]; sessions: number[] }> {
  const seen: Seen[] = [];
  const sessions: number[] = [];
  const server = createSecureHttp2Server(
    { backend: sim.server, security: WITH_USERS, ...options },
    (req, res) => {
      const info = getPeerSecurity(req);
      const actingAs = impersonateRequestPeer(req, () => whoAmI());
      seen.push({
        path: req.url,
        httpVersion: req.httpVersion,
        user: info.peerApplicationToken?.user.name,
        machine: info.peerMachineToken?.user.name,
        encrypted: info.encrypted,
        actingAs,
      });
      res.setHeader('content-type', 'text/plain');
      res.end(`hello ${info.peerApplicationToken?.user.name} at ${req.url}`);
    },
  );
  server.on('session', () => sessions.push(sessions.length));
  server.listen(0);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  cleanups.push(async () => {
    if (server.listening) {
      server.close();
      await once(server, 'close');
    }
  });
  return { server, url: `http://127.0.0.1:${port}`, seen, sessions };
}

/** Whom the server's backend acts as now (`GetUserName` of the thread). */
function whoAmI(): string {
  return sim.server.currentIdentity().name ?? '(no name)';
}

function request(
  session: http2.ClientHttp2Session,
  path: string,
): Promise<{ status: number | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path });
    let status: number | undefined;
    let body = '';
    req.setEncoding('utf8');
    req.on('response', (headers) => {
      status = headers[':status'];
    });
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => resolve({ status, body }));
    req.on('error', reject);
    req.end();
  });
}

function connectAs(
  url: string,
  backend: SimFixture['alice'],
  peerTargetName = SERVER,
): http2.ClientHttp2Session {
  const session = connectSecureHttp2(url, { backend, security: WITH_USERS, peerTargetName });
  cleanups.push(() => {
    if (!session.destroyed) session.destroy();
  });
  return session;
}

describe('createSecureHttp2Server with connectSecureHttp2 (Node http2 client)', () => {
  it('carries concurrent streams on one session; each request knows its peer user and machine', async () => {
    const { url, seen, sessions } = await startServer();
    const session = connectAs(url, sim.alice);
    const answers = await Promise.all(['/a', '/b', '/c'].map((path) => request(session, path)));
    expect(answers).toEqual([
      { status: 200, body: 'hello alice at /a' },
      { status: 200, body: 'hello alice at /b' },
      { status: 200, body: 'hello alice at /c' },
    ]);
    expect(sessions).toHaveLength(1);
    expect(seen.map((s) => s.path).sort()).toEqual(['/a', '/b', '/c']);
    for (const s of seen) {
      expect(s).toMatchObject({
        httpVersion: '2.0',
        user: 'alice',
        machine: 'CLIENT$',
        encrypted: false,
        actingAs: 'alice',
      });
    }
  });

  it('keeps identities apart: two sessions, two users, each stream attributed to its own', async () => {
    const { url, seen, sessions } = await startServer();
    const alice = connectAs(url, sim.alice);
    const bob = connectAs(url, sim.bob);
    const [a1, b1, a2, b2] = await Promise.all([
      request(alice, '/alice-1'),
      request(bob, '/bob-1'),
      request(alice, '/alice-2'),
      request(bob, '/bob-2'),
    ]);
    expect([a1.body, b1.body, a2.body, b2.body]).toEqual([
      'hello alice at /alice-1',
      'hello bob at /bob-1',
      'hello alice at /alice-2',
      'hello bob at /bob-2',
    ]);
    expect(sessions).toHaveLength(2);
    for (const s of seen) {
      const expected = s.path.startsWith('/alice') ? 'alice' : 'bob';
      expect([s.user, s.actingAs]).toEqual([expected, expected]);
    }
    // Impersonation ended with each handler's callback.
    expect(whoAmI()).not.toBe('alice');
    expect(whoAmI()).not.toBe('bob');
  });

  it("getPeerSecurity takes the 'stream' API's stream and session as well as the request", async () => {
    const server = createSecureHttp2Server({ backend: sim.server, security: WITH_USERS });
    const got: string[] = [];
    server.on('stream', (stream) => {
      got.push(`stream:${getPeerSecurity(stream).peerApplicationToken?.user.name}`);
      got.push(
        `session:${getPeerSecurity(stream.session as http2.Http2Session).peerApplicationToken?.user.name}`,
      );
      stream.respond({ ':status': 204 });
      stream.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(async () => {
      server.close();
      await once(server, 'close');
    });
    const session = connectAs(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, sim.bob);
    expect(await request(session, '/')).toEqual({ status: 204, body: '' });
    expect(got).toEqual(['stream:bob', 'session:bob']);
  });

  it('refuses streams the access check denies with 403, before any handler sees them', async () => {
    const sddl = `D:(A;;FR;;;${sim.sids.payroll})`;
    const { server, url, seen } = await startServer({ access: { sddl, access: FILE_GENERIC_READ } });
    const streams: string[] = [];
    server.on('stream', (_stream, headers) => streams.push(String(headers[':path'])));
    const alice = connectAs(url, sim.alice);
    const bob = connectAs(url, sim.bob);
    expect(await request(alice, '/payroll')).toEqual({ status: 200, body: 'hello alice at /payroll' });
    const refused = await request(bob, '/payroll');
    expect(refused.status).toBe(403);
    expect(refused.body).not.toContain(sim.sids.payroll);
    expect(refused.body).not.toContain('bob');
    // The refused stream reached neither the 'stream' listeners nor the request handler, and the
    // session stays usable for the next stream (refused again: the check is per stream).
    expect(streams).toEqual(['/payroll']);
    expect(seen.map((s) => s.user)).toEqual(['alice']);
    expect((await request(bob, '/again')).status).toBe(403);
    expect(seen).toHaveLength(1);
  });

  it("a wrong target name is an 'error' on the session and its pending stream; the server gets no session", async () => {
    const { url, seen, sessions } = await startServer();
    const session = connectAs(url, sim.alice, 'host/rogue.contoso.com');
    const sessionError = once(session, 'error');
    const closed = new Promise((resolve) => session.once('close', resolve));
    const req = session.request({ ':path': '/never' });
    const streamError = new Promise<Error & { code?: string }>((resolve) => req.on('error', resolve));
    const responses: unknown[] = [];
    req.on('response', (headers) => responses.push(headers));
    req.end();
    const [error] = (await sessionError) as [Error & { code?: string }];
    expect(error.code).toBe('ERR_WSASEC_PEER_NAME_MISMATCH');
    expect((await streamError).code).toBe('ERR_WSASEC_PEER_NAME_MISMATCH');
    await closed;
    expect(responses).toEqual([]);
    expect(sessions).toEqual([]);
    expect(seen).toEqual([]);
  });

  it("a server that is not listening is an 'error' (WSAECONNREFUSED) on the session", async () => {
    const { server, url } = await startServer();
    server.close();
    await once(server, 'close');
    const session = connectAs(url, sim.alice);
    const [error] = (await once(session, 'error')) as [Error & { code?: string }];
    expect(error.code).toBe('WSAECONNREFUSED');
  });

  it("close() ends the sessions with GOAWAY, lets an open stream finish, then emits 'close'", async () => {
    let release: (() => void) | undefined;
    const server = createSecureHttp2Server({ backend: sim.server, security: WITH_USERS }, (_req, res) => {
      res.write('first ');
      release = () => res.end('last');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const session = connectAs(url, sim.alice);
    const goaway = once(session, 'goaway');
    const pending = request(session, '/slow');
    await new Promise<void>((resolve) => {
      const poll = () => (release ? resolve() : setTimeout(poll, 5));
      poll();
    });
    const events: string[] = [];
    server.close(() => events.push('close callback'));
    server.on('close', () => events.push('close'));
    expect(server.listening).toBe(false);
    await goaway;
    release?.();
    expect(await pending).toEqual({ status: 200, body: 'first last' });
    await once(server, 'close');
    expect(events).toEqual(['close callback', 'close']);
    expect(server.address()).toBeNull();
  });
});

describe('undici over h2c (createSecureConnector with useH2c, allowH2)', () => {
  it('runs requests as HTTP/2 on one secured connection, seen as alice', async () => {
    const { url, seen, sessions } = await startServer();
    // undici's own useH2c is an option of its built-in connector; with ours, the connector's
    // useH2c marks the secured socket as h2, and allowH2 lets the Client run HTTP/2 on it.
    const h2Client = new Client(url, {
      allowH2: true,
      connect: createSecureConnector({
        backend: sim.alice,
        security: WITH_USERS,
        peerTargetName: SERVER,
        useH2c: true,
      }),
    });
    cleanups.push(() => h2Client.close());
    const bodies = await Promise.all(
      ['/u1', '/u2'].map(async (path) => {
        const res = await h2Client.request({ path, method: 'GET' });
        return `${res.statusCode} ${await res.body.text()}`;
      }),
    );
    expect(bodies).toEqual(['200 hello alice at /u1', '200 hello alice at /u2']);
    expect(sessions).toHaveLength(1);
    expect(seen.map((s) => [s.httpVersion, s.user])).toEqual([
      ['2.0', 'alice'],
      ['2.0', 'alice'],
    ]);
  });

  it('a wrong target name rejects the request with ERR_WSASEC_PEER_NAME_MISMATCH', async () => {
    const { url, seen } = await startServer();
    const client = new Client(url, {
      allowH2: true,
      connect: createSecureConnector({
        backend: sim.alice,
        security: WITH_USERS,
        peerTargetName: 'host/rogue.contoso.com',
        useH2c: true,
      }),
    });
    cleanups.push(() => client.close());
    await expect(client.request({ path: '/', method: 'GET' })).rejects.toMatchObject({
      code: 'ERR_WSASEC_PEER_NAME_MISMATCH',
    });
    expect(seen).toEqual([]);
  });
});

describe('bad input', () => {
  const invalid = { name: 'SecureSocketError', code: 'ERR_WSASEC_INVALID_ARGUMENT' };

  it('createSecureHttp2Server refuses what it cannot use, saying what it accepts', () => {
    expect(() => createSecureHttp2Server(undefined as never)).toThrow(
      expect.objectContaining({ ...invalid, message: expect.stringContaining('{ backend') }),
    );
    expect(() => createSecureHttp2Server({} as never)).toThrow(expect.objectContaining(invalid));
    expect(() => createSecureHttp2Server({ backend: sim.server }, 'handler' as never)).toThrow(
      expect.objectContaining({ ...invalid, message: expect.stringContaining('must be a function') }),
    );
    expect(() =>
      createSecureHttp2Server({ backend: sim.server, createConnection: () => null } as never),
    ).toThrow(expect.objectContaining({ ...invalid, message: expect.stringContaining('createConnection') }));
    expect(() => createSecureHttp2Server({ backend: sim.server, family: 'ipx' as never })).toThrow(
      expect.objectContaining({ code: 'WSAEAFNOSUPPORT' }),
    );
    expect(() =>
      createSecureHttp2Server({ backend: sim.server, access: { sddl: '', access: FILE_GENERIC_READ } }),
    ).toThrow(expect.objectContaining({ code: 'WSAEINVAL' }));
  });

  it('connectSecureHttp2 refuses https:, malformed authorities and createConnection', () => {
    expect(() => connectSecureHttp2('https://127.0.0.1:1', { backend: sim.alice })).toThrow(
      expect.objectContaining({ ...invalid, message: expect.stringContaining('http: URL') }),
    );
    expect(() => connectSecureHttp2('not a url', { backend: sim.alice })).toThrow(
      expect.objectContaining(invalid),
    );
    expect(() => connectSecureHttp2(42 as never, { backend: sim.alice })).toThrow(
      expect.objectContaining(invalid),
    );
    expect(() => connectSecureHttp2('http://127.0.0.1:1', undefined as never)).toThrow(
      expect.objectContaining({ ...invalid, message: expect.stringContaining('{ backend') }),
    );
    expect(() =>
      connectSecureHttp2('http://127.0.0.1:1', { backend: sim.alice, createConnection: () => null } as never),
    ).toThrow(expect.objectContaining({ ...invalid, message: expect.stringContaining('createConnection') }));
    expect(() =>
      connectSecureHttp2('http://127.0.0.1:1', { backend: sim.alice, peerTargetName: 42 as never }),
    ).toThrow(expect.objectContaining({ name: 'SecureSocketError' }));
  });

  it('listen() twice is WSAEINVAL; close() of a server not listening calls back ERR_SERVER_NOT_RUNNING, as net', async () => {
    const idle = createSecureHttp2Server({ backend: sim.server });
    const [error] = await new Promise<unknown[]>((resolve) => idle.close((...args) => resolve(args)));
    expect(error).toMatchObject({ code: 'ERR_SERVER_NOT_RUNNING' });
    const { server } = await startServer();
    expect(() => server.listen(0)).toThrow(expect.objectContaining({ code: 'WSAEINVAL' }));
    expect(server.listening).toBe(true);
    const count = await new Promise<number>((resolve, reject) =>
      server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
    );
    expect(count).toBe(0);
  });

  it('createSecureConnector refuses a useH2c that is not a boolean', () => {
    expect(() => createSecureConnector({ backend: sim.alice, useH2c: 'yes' as never })).toThrow(
      expect.objectContaining({ ...invalid, message: expect.stringContaining('useH2c must be a boolean') }),
    );
  });

  it('getPeerSecurity refuses a plain http2 session that did not come through createSecureHttp2Server', () => {
    expect(() => getPeerSecurity({ socket: {}, session: {} } as never)).toThrow(
      expect.objectContaining({ ...invalid, message: expect.stringContaining('createSecureHttp2Server') }),
    );
  });
});
