// Port of node/test/parallel/test-http-agent-keepalive.js: createSecureServer for http.createServer, SecureAgent for Agent; the pool name is agent.getName() (our key adds the policy).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, platformTimeout, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-agent-keepalive', async () => {
    const t = current();
    const agent = t.agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 5, maxFreeSockets: 5 });
    let name = '';
    const server = t.createServer(
      t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
        if (req.url === '/error') {
          res.destroy();
          return;
        } else if (req.url === '/remote_close') {
          // cache the socket, close it after a short delay
          const socket = res.connection!;
          setImmediate(t.mustCall(() => socket.end()));
        }
        res.end('hello world');
      }, 4),
    );

    function get(path: string, callback: (res: http.IncomingMessage) => void) {
      return http.get({ host: HOST, port: portOf(server), agent, path }, callback);
    }

    const checkDataAndSockets = t.guard((body: Buffer) => {
      assert.strictEqual(body.toString(), 'hello world');
      assert.strictEqual(agent.sockets[name]!.length, 1);
      assert.strictEqual(agent.freeSockets[name], undefined);
    });

    function second() {
      get(
        '/second',
        t.mustCall((res: http.IncomingMessage) => {
          assert.strictEqual(res.statusCode, 200);
          res.on('data', checkDataAndSockets);
          res.on(
            'end',
            t.mustCall(() => {
              assert.strictEqual(agent.sockets[name]!.length, 1);
              assert.strictEqual(agent.freeSockets[name], undefined);
              process.nextTick(
                t.mustCall(() => {
                  assert.strictEqual(agent.sockets[name], undefined);
                  assert.strictEqual(agent.freeSockets[name]!.length, 1);
                  remoteClose();
                }),
              );
            }),
          );
        }),
      );
    }

    function remoteClose() {
      get(
        '/remote_close',
        t.mustCall((res: http.IncomingMessage) => {
          assert.deepStrictEqual(res.statusCode, 200);
          res.on('data', checkDataAndSockets);
          res.on(
            'end',
            t.mustCall(() => {
              assert.strictEqual(agent.sockets[name]!.length, 1);
              assert.strictEqual(agent.freeSockets[name], undefined);
              process.nextTick(
                t.mustCall(() => {
                  assert.strictEqual(agent.sockets[name], undefined);
                  assert.strictEqual(agent.freeSockets[name]!.length, 1);
                  // waiting remote server close the socket
                  setTimeout(
                    t.mustCall(() => {
                      assert.strictEqual(agent.sockets[name], undefined);
                      assert.strictEqual(agent.freeSockets[name], undefined, 'freeSockets is not empty');
                      remoteError();
                    }),
                    platformTimeout(200),
                  );
                }),
              );
            }),
          );
        }),
      );
    }

    function remoteError() {
      // remote server will destroy the socket
      const req = get('/error', t.mustNotCall());
      req.on(
        'error',
        t.mustCall((err: Error) => {
          assert(err);
          assert.strictEqual(err.message, 'socket hang up');
          assert.strictEqual(agent.sockets[name]!.length, 1);
          assert.strictEqual(agent.freeSockets[name], undefined);
          // Wait socket 'close' event emit
          setTimeout(
            t.mustCall(() => {
              assert.strictEqual(agent.sockets[name], undefined);
              assert.strictEqual(agent.freeSockets[name], undefined);
              server.close();
              t.done();
            }),
            platformTimeout(1),
          );
        }),
      );
    }

    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        name = agent.getName({ host: HOST, port: portOf(server) });
        // request first, and keep alive
        get(
          '/first',
          t.mustCall((res: http.IncomingMessage) => {
            assert.strictEqual(res.statusCode, 200);
            res.on('data', checkDataAndSockets);
            res.on(
              'end',
              t.mustCall(() => {
                assert.strictEqual(agent.sockets[name]!.length, 1);
                assert.strictEqual(agent.freeSockets[name], undefined);
                process.nextTick(
                  t.mustCall(() => {
                    assert.strictEqual(agent.sockets[name], undefined);
                    assert.strictEqual(agent.freeSockets[name]!.length, 1);
                    second();
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
}
