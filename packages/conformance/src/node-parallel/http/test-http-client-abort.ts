// Port of node/test/parallel/test-http-client-abort.js: createSecureServer for http.Server, a SecureAgent for the global agent.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-client-abort', async () => {
    const t = current();
    const agent = t.agent();
    let clientAborts = 0;
    const N = 8;
    const server = t.createServer((req, res) => {
      res.writeHead(200);
      res.write('Working on it...');
      req.on('aborted', () => {
        clientAborts++;
        if (clientAborts === N) {
          server.close();
          t.done();
        }
      });
    });
    let responses = 0;
    const requests: http.ClientRequest[] = [];
    server.listen(0, HOST, () => {
      for (let i = 0; i < N; i++) {
        const options = { host: HOST, port: portOf(server), path: `/?id=${i}`, agent };
        const req = http.get(options, (res) => {
          res.resume();
          if (++responses === N) {
            for (const outReq of requests) outReq.abort();
          }
        });
        requests.push(req);
      }
    });
    await t.end();
    // process.on('exit')
    assert.strictEqual(N, clientAborts);
  }, 5000);
}
