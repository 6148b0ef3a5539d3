// Port of node/test/parallel/test-http-agent-timeout.js: createSecureServer for http.createServer, SecureAgent for http.Agent.
import assert from 'node:assert';
import type { Socket } from 'node:net';
import { describe, it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  describe('test-http-agent-timeout', () => {
    it('ensures reuse of successful sockets', async () => {
      const t = current();
      const agent = t.agent({ keepAlive: true });
      const server = t.createServer((req, res) => {
        res.end();
      });
      server.listen(
        0,
        HOST,
        t.mustCall(() => {
          let socket: Socket;
          http.get({ host: HOST, port: portOf(server), agent }).on(
            'response',
            t.mustCall((res: http.IncomingMessage) => {
              socket = res.socket;
              assert(socket);
              res.resume();
              socket.on(
                'free',
                t.mustCall(() => {
                  http.get({ host: HOST, port: portOf(server), agent }).on(
                    'response',
                    t.mustCall((res: http.IncomingMessage) => {
                      assert.strictEqual(socket, res.socket);
                      assert(socket);
                      agent.destroy();
                      server.close();
                      t.done();
                    }),
                  );
                }),
              );
            }),
          );
        }),
      );
      await t.end();
    }, 5000);

    it('ensures that timeouted sockets are not reused', async () => {
      const t = current();
      const agent = t.agent({ keepAlive: true, timeout: 50 });
      const server = t.createServer((req, res) => {
        res.end();
      });
      server.listen(
        0,
        HOST,
        t.mustCall(() => {
          let socket: Socket;
          http.get({ host: HOST, port: portOf(server), agent }).on(
            'response',
            t.mustCall((res: http.IncomingMessage) => {
              socket = res.socket;
              assert(socket);
              res.resume();
              socket.on(
                'free',
                t.mustCall(() => {
                  socket.on(
                    'timeout',
                    t.mustCall(() => {
                      http.get({ host: HOST, port: portOf(server), agent }).on(
                        'response',
                        t.mustCall((res: http.IncomingMessage) => {
                          assert.notStrictEqual(socket, res.socket);
                          assert.strictEqual(socket.destroyed, true);
                          assert(socket);
                          agent.destroy();
                          server.close();
                          t.done();
                        }),
                      );
                    }),
                  );
                }),
              );
            }),
          );
        }),
      );
      await t.end();
    }, 5000);

    it('ensures that destroyed sockets are not reused', async () => {
      const t = current();
      const agent = t.agent({ keepAlive: true });
      const server = t.createServer((req, res) => {
        res.end();
      });
      server.listen(
        0,
        HOST,
        t.mustCall(() => {
          let socket: Socket;
          http.get({ host: HOST, port: portOf(server), agent }).on(
            'response',
            t.mustCall((res: http.IncomingMessage) => {
              socket = res.socket;
              assert(socket);
              res.resume();
              socket.on(
                'free',
                t.mustCall(() => {
                  socket.destroy();
                  http.get({ host: HOST, port: portOf(server), agent }).on(
                    'response',
                    t.mustCall((res: http.IncomingMessage) => {
                      assert.notStrictEqual(socket, res.socket);
                      assert(socket);
                      agent.destroy();
                      server.close();
                      t.done();
                    }),
                  );
                }),
              );
            }),
          );
        }),
      );
      await t.end();
    }, 5000);
  });
}
