// Port of node/test/parallel/test-http-agent-maxsockets-respected.js: createSecureServer for http.createServer, SecureAgent for http.Agent.
import assert from 'node:assert';
import { it } from 'vitest';
import { Countdown, HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-agent-maxsockets-respected', async () => {
    const t = current();
    const MAX_SOCKETS = 2;
    const agent = t.agent({
      keepAlive: true,
      keepAliveMsecs: 1000,
      maxSockets: MAX_SOCKETS,
      maxFreeSockets: 2,
    });
    const server = t.createServer(
      t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
        res.end('hello world');
      }, 6),
    );
    const countdown = new Countdown(6, () => {
      server.close();
      t.done();
    });
    function get(path: string, callback: (res: http.IncomingMessage) => void) {
      return http.get({ host: HOST, port: portOf(server), agent, path }, callback);
    }
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        for (let i = 0; i < 6; i++) {
          const request = get('/1', t.mustCall());
          request.on(
            'response',
            t.mustCall(() => {
              request.abort();
              const sockets = agent.sockets[Object.keys(agent.sockets)[0]!]!;
              assert(sockets.length <= MAX_SOCKETS);
              countdown.dec();
            }),
          );
        }
      }),
    );
    await t.end();
  }, 5000);
}
