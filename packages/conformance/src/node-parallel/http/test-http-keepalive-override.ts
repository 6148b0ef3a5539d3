// Port of node/test/parallel/test-http-keepalive-override.js: createSecureServer for http.createServer, SecureAgent for http.Agent.
import assert from 'node:assert';
import type { Socket } from 'node:net';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-keepalive-override', async () => {
    const t = current();
    const server = t.createServer((req, res) => {
      res.end('ok');
    });
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const agent = t.agent({ keepAlive: true, maxSockets: 5, maxFreeSockets: 2 });
        const keepSocketAlive = agent.keepSocketAlive;
        const reuseSocket = agent.reuseSocket;
        let called = 0;
        let expectedSocket: Socket | undefined;
        agent.keepSocketAlive = t.mustCall((socket: Socket) => {
          assert(socket);
          called++;
          if (called === 1) return false;
          else if (called === 2) {
            expectedSocket = socket;
            return keepSocketAlive.call(agent, socket);
          }
          assert.strictEqual(socket, expectedSocket);
          return false;
        }, 3);
        agent.reuseSocket = t.mustCall((socket: Socket, req: http.ClientRequest) => {
          assert.strictEqual(socket, expectedSocket);
          assert(req);
          return reuseSocket.call(agent, socket, req);
        }, 1);

        function req(callback: () => void) {
          http
            .request(
              { host: HOST, method: 'GET', path: '/', agent, port: portOf(server) },
              t.mustCall((res: http.IncomingMessage) => {
                res.resume();
                res.once(
                  'end',
                  t.mustCall(() => {
                    setImmediate(callback);
                  }),
                );
              }),
            )
            .end();
        }
        // Should destroy socket instead of keeping it alive
        req(
          t.mustCall(() => {
            // Should keep socket alive
            req(
              t.mustCall(() => {
                // Should reuse the socket
                req(
                  t.mustCall(() => {
                    server.close();
                    t.done();
                  }),
                );
              }),
            );
          }),
        );
      }),
    );
    await t.end();
  }, 5000);
}
