// Port of node/test/parallel/test-http-keep-alive-timeout-race-condition.js: createSecureServer for http.createServer, SecureAgent for http.Agent, on 127.0.0.1.
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, platformTimeout, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-keep-alive-timeout-race-condition', async () => {
    const t = current();
    const makeRequest = (port: number, agent: http.Agent) =>
      new Promise<void>((resolve, reject) => {
        const req = http.get({ host: HOST, path: '/', port, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        });
        req.on('error', (e) => reject(e));
        req.end();
      });

    const server = t.createServer(
      { keepAliveTimeout: platformTimeout(2000), keepAlive: true },
      t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
        const body = 'hello world\n';
        res.writeHead(200, { 'Content-Length': body.length });
        res.write(body);
        res.end();
      }, 2),
    );

    const agent = t.agent({ maxSockets: 5, keepAlive: true });

    server.listen(
      0,
      HOST,
      t.mustCall(async () => {
        try {
          await makeRequest(portOf(server), agent);
          // Block the event loop for 2 seconds
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
          await makeRequest(portOf(server), agent);
          server.close();
          agent.destroy();
          t.done();
        } catch (e) {
          t.fail(e);
        }
      }),
    );
    await t.end();
  }, 6000);
}
