// Port of node/test/parallel/test-http-client-abort2.js: createSecureServer for http.createServer, a SecureAgent for the global agent.
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-client-abort2', async () => {
    const t = current();
    const agent = t.agent();
    const server = t.createServer((req, res) => {
      res.end('Hello');
    });
    server.listen(0, HOST, () => {
      const req = http.get({ host: HOST, port: portOf(server), agent }, (res) => {
        res.on('data', () => {
          req.abort();
          server.close(() => t.done());
        });
      });
    });
    await t.end();
  }, 5000);
}
