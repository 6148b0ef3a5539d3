// Port of node/test/parallel/test-http-client-abort-keep-alive-queued-tcp-socket.js: createSecureServer for http.createServer, a subclass of SecureAgent for the subclass of http.Agent.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-client-abort-keep-alive-queued-tcp-socket', async () => {
    const t = current();
    let socketsCreated = 0;
    const { Base, base } = t.agentClass();
    class Agent extends Base {
      override createConnection(options: any, oncreate?: any): any {
        const socket = super.createConnection(options, oncreate);
        socketsCreated++;
        return socket;
      }
    }
    const server = t.createServer((req, res) => res.end());
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const port = portOf(server);
        const agent = new Agent({ ...base, keepAlive: true, maxSockets: 1 } as never);
        t.onCleanup(() => agent.destroy());
        http.get({ host: HOST, agent, port }, (res) => res.resume());
        const req = http.get({ host: HOST, agent, port }, t.mustNotCall());
        req.abort();
        http.get(
          { host: HOST, agent, port },
          t.mustCall((res: http.IncomingMessage) => {
            res.resume();
            assert.strictEqual(socketsCreated, 1);
            agent.destroy();
            server.close();
            t.done();
          }),
        );
      }),
    );
    await t.end();
  }, 5000);
}
