// Port of node/test/parallel/test-http-agent-maxsockets.js: createSecureServer for http.createServer, SecureAgent for http.Agent.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-agent-maxsockets', async () => {
    const t = current();
    const agent = t.agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 2, maxFreeSockets: 2 });
    const server = t.createServer((req, res) => {
      res.end('hello world');
    });
    function get(path: string, callback: (res: http.IncomingMessage) => void) {
      return http.get({ host: HOST, port: portOf(server), agent, path }, callback);
    }
    let count = 0;
    const done = t.guard(() => {
      if (++count !== 2) return;
      const freepool = agent.freeSockets[Object.keys(agent.freeSockets)[0]!]!;
      assert.equal(freepool.length, 2, `expect keep 2 free sockets, but got ${freepool.length}`);
      agent.destroy();
      server.close();
      t.done();
    });
    server.listen(0, HOST, () => {
      get(
        '/1',
        t.mustCall((res: http.IncomingMessage) => {
          assert.equal(res.statusCode, 200);
          res.resume();
          res.on('end', () => process.nextTick(done));
        }),
      );
      get(
        '/2',
        t.mustCall((res: http.IncomingMessage) => {
          assert.equal(res.statusCode, 200);
          res.resume();
          res.on('end', () => process.nextTick(done));
        }),
      );
    });
    await t.end();
  }, 5000);
}
