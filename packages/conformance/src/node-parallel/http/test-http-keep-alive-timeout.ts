// Port of node/test/parallel/test-http-keep-alive-timeout.js: createSecureServer for http.createServer, SecureAgent for http.Agent, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-keep-alive-timeout', async () => {
    const t = current();
    const server = t.createServer(
      t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
        const body = 'hello world\n';

        res.writeHead(200, { 'Content-Length': body.length });
        res.write(body);
        res.end();
      }),
    );
    server.keepAliveTimeout = 12000;

    const agent = t.agent({ maxSockets: 1, keepAlive: true });

    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        http.get(
          { host: HOST, path: '/', port: portOf(server), agent },
          t.mustCall((response: http.IncomingMessage) => {
            response.resume();
            assert.strictEqual(response.headers['keep-alive'], 'timeout=12');
            server.close();
            agent.destroy();
            t.done();
          }),
        );
      }),
    );
    await t.end();
  }, 3000);
}
