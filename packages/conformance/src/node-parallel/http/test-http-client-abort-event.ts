// Port of node/test/parallel/test-http-client-abort-event.js: createSecureServer for http.createServer, a SecureAgent for the global agent.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-client-abort-event', async () => {
    const t = current();
    const agent = t.agent();
    const server = t.createServer((req, res) => {
      res.end();
    });
    let count = 0;
    server.listen(0, HOST, () => {
      const req = http.request(
        { host: HOST, port: portOf(server), agent },
        t.mustNotCall('should not receive data'),
      );
      req.on('abort', () => {
        // should only be emitted once
        count++;
        server.close(() => t.done());
      });
      req.end();
      req.abort();
      req.abort();
    });
    await t.end();
    // process.on('exit')
    assert.equal(count, 1);
  }, 5000);
}
