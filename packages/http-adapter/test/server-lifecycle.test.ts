// createSecureServer as an http.Server, against the loopback test double: listen/close/address,
// keep-alive, pipelining, and that it never binds a plain TCP port.
import { once } from 'node:events';
import type * as http from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSecureServer, SecureAgent } from '../src/index.js';
import { request, startSecureServer } from './support/http-helpers.js';
import { createLoopbackBackend, loopbackMode, STREAM_KINDS } from './support/loopback-backend.js';

const backend = createLoopbackBackend();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => backend.close());

const hello: http.RequestListener = (req, res) => res.end(`hello ${req.url}`);

function listen(server: http.Server, ...args: unknown[]): Promise<AddressInfo> {
  (server.listen as (...a: unknown[]) => void)(...args);
  return once(server, 'listening').then(() => server.address() as AddressInfo);
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

describe.each(STREAM_KINDS)('over %s streams', (streams) => {
  beforeAll(() => {
    loopbackMode.duplex = streams === 'Duplex';
  });
  afterAll(() => {
    loopbackMode.duplex = false;
  });

  describe('createSecureServer (loopback double)', () => {
    it('listens through the backend with every listen() signature http accepts', async () => {
      const forms: unknown[][] = [
        [0],
        [0, '127.0.0.1'],
        [{ port: 0, host: '127.0.0.1' }],
        ['0', 'localhost', 16],
        [{ port: 0, host: '::1' }],
      ];
      for (const form of forms) {
        const server = createSecureServer({ backend }, hello);
        let called = false;
        const address = await listen(server, ...form, () => {
          called = true;
        });
        expect(server.listening).toBe(true);
        expect(called).toBe(true);
        expect(address.port).toBeGreaterThan(0);
        expect(address.family).toBe(isIP(address.address) === 6 ? 'IPv6' : 'IPv4');
        expect(['127.0.0.1', '::1']).toContain(address.address);
        const agent = new SecureAgent({ backend });
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        expect((await request(`http://${host}:${address.port}/x`, { agent })).body).toBe('hello /x');
        agent.destroy();
        await closeServer(server);
        expect(server.listening).toBe(false);
        expect(server.address()).toBeNull();
      }
    });

    it('defaults to loopback, refuses paths and handles, and reports a busy port as an error event', async () => {
      const server = createSecureServer({ backend }, hello);
      const address = await listen(server);
      expect(address.address).toBe('127.0.0.1');
      expect(() => server.listen('/tmp/wsasec.sock')).toThrow(
        expect.objectContaining({ code: 'WSAEOPNOTSUPP' }),
      );
      expect(() => server.listen({ path: '/tmp/wsasec.sock' })).toThrow(
        expect.objectContaining({ code: 'WSAEOPNOTSUPP' }),
      );
      expect(() => server.listen(0)).toThrow(expect.objectContaining({ code: 'WSAEINVAL' }));
      const second = createSecureServer({ backend }, hello);
      second.listen(address.port, '127.0.0.1');
      const [error] = (await once(second, 'error')) as [Error & { code?: string }];
      expect(error.code).toBe('WSAEADDRINUSE');
      expect(second.listening).toBe(false);
      await closeServer(server);
    });

    it('answers close() on a server that is not running the way http does', async () => {
      const server = createSecureServer({ backend }, hello);
      const error = await new Promise<Error | undefined>((resolve) => server.close(resolve));
      expect((error as { code?: string }).code).toBe('ERR_SERVER_NOT_RUNNING');
    });

    it("a failed bind is one 'error' on the server, as net's (nothing unhandled)", async () => {
      const first = createSecureServer({ backend }, hello);
      const { port } = await listen(first, 0, '127.0.0.1');
      const second = createSecureServer({ backend }, hello);
      const errors: unknown[] = [];
      second.on('error', (error) => errors.push(error));
      second.listen(port, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'WSAEADDRINUSE' });
      expect(second.listening).toBe(false);
      await closeServer(first);
    });

    it('can listen again after close, and supports await using', async () => {
      const server = createSecureServer({ backend }, hello);
      await listen(server, 0);
      await closeServer(server);
      const address = await listen(server, 0);
      const agent = new SecureAgent({ backend });
      expect((await request(`http://127.0.0.1:${address.port}/again`, { agent })).body).toBe('hello /again');
      agent.destroy();
      await server[Symbol.asyncDispose]();
      expect(server.listening).toBe(false);
    });

    it('keeps connections alive and closes gracefully: in-flight responses finish, then close', async () => {
      let release: () => void = () => {};
      const started = await startSecureServer(backend, (req, res) => {
        if (req.url === '/slow') release = () => res.end('slow done');
        else res.end('fast');
      });
      cleanups.push(() => started.close());
      const agent = new SecureAgent({ backend });
      cleanups.push(() => agent.destroy());
      await request(`${started.url}/fast`, { agent });
      const slow = request(`${started.url}/slow`, { agent });
      await new Promise((resolve) => setTimeout(resolve, 20));
      let closed = false;
      started.server.close(() => {
        closed = true;
      });
      expect(started.server.listening).toBe(false);
      release();
      expect((await slow).body).toBe('slow done');
      expect(closed).toBe(false);
      agent.destroy();
      await once(started.server, 'close');
      expect(closed).toBe(true);
      expect(started.connections).toBe(1);
    });

    it('closes idle keep-alive connections on close(), and every connection on closeAllConnections()', async () => {
      const started = await startSecureServer(backend, hello);
      const agent = new SecureAgent({ backend });
      cleanups.push(() => agent.destroy());
      await request(started.url, { agent });
      const [socket] = Object.values(agent.freeSockets)[0] ?? [];
      const socketClosed = once(socket as NodeJS.EventEmitter, 'close');
      await closeServer(started.server);
      await socketClosed;
      expect(agent.freeSockets).toEqual({});

      const again = await startSecureServer(backend, () => {});
      cleanups.push(() => again.close());
      const hanging = request(again.url, { agent }).catch((error: Error & { code?: string }) => error.code);
      await new Promise((resolve) => setTimeout(resolve, 20));
      again.server.closeAllConnections();
      expect(await hanging).toBe('ECONNRESET');
    });

    it('serves pipelined requests in order over one secured connection', async () => {
      const started = await startSecureServer(backend, (req, res) => {
        setTimeout(() => res.end(`<${req.url}>`), req.url === '/1' ? 20 : 0);
      });
      cleanups.push(() => started.close());
      const socket = await backend.connect({ host: '127.0.0.1', port: started.port });
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.write(
        'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
      );
      await once(socket, 'close');
      expect([...text.matchAll(/<(\/\d)>/g)].map((m) => m[1])).toEqual(['/1', '/2', '/3']);
      expect(started.connections).toBe(1);
    });

    it('counts connections with getConnections', async () => {
      const started = await startSecureServer(backend, hello);
      cleanups.push(() => started.close());
      const agent = new SecureAgent({ backend, maxSockets: 3 });
      cleanups.push(() => agent.destroy());
      await Promise.all([1, 2, 3].map((i) => request(`${started.url}/${i}`, { agent })));
      const count = await new Promise<number>((resolve, reject) =>
        started.server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
      );
      expect(count).toBe(3);
    });

    it('refuses bad options with SecureSocketErrors', () => {
      expect(() => createSecureServer(undefined as never)).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
      expect(() => createSecureServer({} as never)).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
      expect(() => createSecureServer({ backend, security: { protocol: 'tls' } as never })).toThrow(
        expect.objectContaining({ code: 'WSAEINVAL' }),
      );
      expect(() => createSecureServer({ backend, family: 'ipx' as never })).toThrow(
        expect.objectContaining({ code: 'WSAEAFNOSUPPORT' }),
      );
      expect(() => createSecureServer({ backend }, 'listener' as never)).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
      expect(() => createSecureServer({ backend, tls: 'cert' as never })).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
    });
  });
});
