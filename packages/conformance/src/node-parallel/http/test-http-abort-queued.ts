// Port of node/test/parallel/test-http-abort-queued.js: createSecureServer for http.createServer, SecureAgent (t.agent({ maxSockets: 1 })) for new http.Agent({ maxSockets: 1 }), 127.0.0.1 for localhost.
import assert from 'node:assert';
import { it } from 'vitest';
import { http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-abort-queued', async () => {
    const t = current();
    let complete: (() => void) | undefined;

    const server = t.createServer(
      t.guard((req, res) => {
        // We should not see the queued /thatotherone request within the server
        // as it should be aborted before it is sent.
        assert.strictEqual(req.url, '/');

        res.writeHead(200);
        res.write('foo');

        complete =
          complete ||
          (() => {
            res.end();
          });
      }),
    );

    server.listen(
      0,
      '127.0.0.1',
      t.guard(() => {
        const agent = t.agent({ maxSockets: 1 });
        assert.strictEqual(Object.keys(agent.sockets).length, 0);

        const options = {
          hostname: '127.0.0.1',
          port: portOf(server),
          method: 'GET',
          path: '/',
          agent: agent,
        };

        const req1 = http.request(options);
        req1.on(
          'response',
          t.guard((res1) => {
            assert.strictEqual(Object.keys(agent.sockets).length, 1);
            assert.strictEqual(Object.keys(agent.requests).length, 0);

            const req2 = http.request({
              method: 'GET',
              host: '127.0.0.1',
              port: portOf(server),
              path: '/thatotherone',
              agent: agent,
            });
            assert.strictEqual(Object.keys(agent.sockets).length, 1);
            assert.strictEqual(Object.keys(agent.requests).length, 1);

            // TODO(jasnell): This event does not appear to currently be triggered.
            // is this handler actually required?
            req2.on(
              'error',
              t.guard((err: NodeJS.ErrnoException) => {
                // This is expected in response to our explicit abort call
                assert.strictEqual(err.code, 'ECONNRESET');
              }),
            );

            req2.end();
            req2.abort();

            assert.strictEqual(Object.keys(agent.sockets).length, 1);
            assert.strictEqual(Object.keys(agent.requests).length, 1);

            res1.on('data', (_chunk) => complete?.());

            res1.on(
              'end',
              t.mustCall(() => {
                setTimeout(
                  t.mustCall(() => {
                    assert.strictEqual(Object.keys(agent.sockets).length, 0);
                    assert.strictEqual(Object.keys(agent.requests).length, 0);

                    server.close(() => t.done());
                  }),
                  100,
                );
              }),
            );
          }),
        );

        req1.end();
      }),
    );
    await t.end();
  }, 3000);
}
