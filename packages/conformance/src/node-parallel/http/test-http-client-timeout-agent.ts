// Port of node/test/parallel/test-http-client-timeout-agent.js: createSecureServer for http.createServer, a SecureAgent for the global agent.
import assert from 'node:assert';
import { it } from 'vitest';
import { http, type NodeHttpTest } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-client-timeout-agent', async () => {
    const t = current();
    const agent = t.agent();
    let requests_sent = 0;
    let requests_done = 0;
    const options: http.RequestOptions = { method: 'GET', port: undefined, host: '127.0.0.1', agent };
    const server = t.createServer((req, res) => {
      const m = /\/(.*)/.exec(req.url!)!;
      const reqid = Number.parseInt(m[1]!, 10);
      if (reqid % 2) {
        // do not reply the request
      } else {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.write(reqid.toString());
        res.end();
      }
    });
    server.listen(0, options.host!, function (this: http.Server) {
      options.port = (this.address() as { port: number }).port;
      for (requests_sent = 0; requests_sent < 30; requests_sent += 1) {
        options.path = `/${requests_sent}`;
        const req = http.request(options) as http.ClientRequest & { id: number };
        req.id = requests_sent;
        req.on('response', (res) => {
          res.on('data', () => {});
          res.on('end', () => {
            requests_done += 1;
          });
        });
        req.on('close', () => {});
        req.on('error', function (this: http.ClientRequest) {
          this.destroy();
        });
        req.setTimeout(50, function (this: http.ClientRequest) {
          this.abort();
          requests_done += 1;
        });
        req.end();
      }
      setTimeout(function maybeDone() {
        if (requests_done >= requests_sent) {
          setTimeout(() => {
            server.close();
            t.done();
          }, 100);
        } else {
          setTimeout(maybeDone, 100);
        }
      }, 100);
    });
    await t.end();
    // process.on('exit')
    assert.strictEqual(requests_done, requests_sent, 'timeout on http request called too much');
  }, 5000);
}
