// Port of node/test/parallel/test-http-keep-alive-timeout-custom.js: createSecureServer for http.createServer, SecureAgent for http.Agent.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-keep-alive-timeout-custom', async () => {
    const t = current();
    const server = t.createServer(
      t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
        const body = 'hello world\n';
        res.writeHead(200, { 'Content-Length': body.length, 'Keep-Alive': 'timeout=50' });
        res.write(body);
        res.end();
      }),
    );
    server.keepAliveTimeout = 12010;
    const agent = t.agent({ maxSockets: 1, keepAlive: true });
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        http.get(
          { host: HOST, path: '/', port: portOf(server), agent },
          t.mustCall((response: http.IncomingMessage) => {
            response.resume();
            assert.strictEqual(response.headers['keep-alive'], 'timeout=50');
            server.close();
            agent.destroy();
            t.done();
          }),
        );
      }),
    );
    await t.end();
  }, 5000);
}
