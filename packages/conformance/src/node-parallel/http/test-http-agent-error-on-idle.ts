// Port of node/test/parallel/test-http-agent-error-on-idle.js: createSecureServer for http.createServer, SecureAgent for http.Agent.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-agent-error-on-idle', async () => {
    const t = current();
    const server = t.createServer((req, res) => {
      res.end('hello world');
    });
    server.listen(0, HOST, () => {
      const agent = t.agent({ keepAlive: true });
      const requestParams = { host: HOST, port: portOf(server), agent, path: '/' };
      const socketKey = agent.getName(requestParams);
      const done = t.mustCall(() => {
        assert.strictEqual(
          Object.keys(agent.freeSockets).length,
          0,
          'expect the freeSockets pool to be empty',
        );
        agent.destroy();
        server.close();
        t.done();
      });
      const get = (callback: (res: http.IncomingMessage) => void) => http.get(requestParams, callback);
      get(
        t.guard((res: http.IncomingMessage) => {
          assert.strictEqual(res.statusCode, 200);
          res.resume();
          res.on(
            'end',
            t.mustCall(() => {
              process.nextTick(
                t.guard(() => {
                  const freeSockets = agent.freeSockets[socketKey]!;
                  assert.strictEqual(freeSockets.length, 1, `expect a free socket on ${socketKey}`);
                  // generate a random error on the free socket
                  const freeSocket = freeSockets[0]!;
                  freeSocket.emit('error', new Error('ECONNRESET: test'));
                  get(done);
                }),
              );
            }),
          );
        }),
      );
    });
    await t.end();
  }, 5000);
}
