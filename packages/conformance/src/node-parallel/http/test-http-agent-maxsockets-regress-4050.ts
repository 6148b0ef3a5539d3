// Port of node/test/parallel/test-http-agent-maxsockets-regress-4050.js: createSecureServer for http.createServer, SecureAgent for http.Agent; 127.0.0.1 for 'localhost'.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-agent-maxsockets-regress-4050', async () => {
    const t = current();
    const MAX_SOCKETS = 2;

    const agent = t.agent({
      keepAlive: true,
      keepAliveMsecs: 1000,
      maxSockets: MAX_SOCKETS,
      maxFreeSockets: 2,
    });

    const server = t.createServer((req, res) => {
      res.end('hello world');
    });

    function get(path: string, callback: (res: http.IncomingMessage) => void) {
      return http.get({ host: HOST, port: portOf(server), agent, path }, callback);
    }

    server.listen(0, HOST, () => {
      let finished = 0;
      const num_requests = 6;
      for (let i = 0; i < num_requests; i++) {
        const request = get('/1', () => {});
        request.on(
          'response',
          t.guard(() => {
            request.abort();
            const sockets = agent.sockets[Object.keys(agent.sockets)[0]!]!;
            assert(sockets.length <= MAX_SOCKETS);
            if (++finished === num_requests) {
              server.close();
              t.done();
            }
          }),
        );
      }
    });
    await t.end();
  }, 5000);
}
