// Port of node/test/parallel/test-http-keepalive-free.js: createSecureServer for http.createServer, SecureAgent for http.Agent.
import assert from 'node:assert';
import type { Socket } from 'node:net';
import { describe, it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  describe('test-http-keepalive-free', () => {
    for (const method of ['abort', 'destroy'] as const) {
      it(method, async () => {
        const t = current();
        const server = t.createServer(
          t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
            res.end(req.url);
          }),
        );
        server.listen(
          0,
          HOST,
          t.mustCall(() => {
            const agent = t.agent({ keepAlive: true });
            const req = http
              .request({ host: HOST, port: portOf(server), agent })
              .on(
                'socket',
                t.mustCall((socket: Socket) => {
                  socket.on('free', t.mustCall());
                }),
              )
              .on(
                'response',
                t.mustCall((res: http.IncomingMessage) => {
                  assert.strictEqual(req.destroyed, false);
                  res
                    .on(
                      'end',
                      t.mustCall(() => {
                        assert.strictEqual(req.destroyed, true);
                        req[method]();
                        assert.strictEqual(req.socket!.destroyed, false);
                        agent.destroy();
                        server.close();
                        t.done();
                      }),
                    )
                    .resume();
                }),
              );
            req.end();
            assert.strictEqual(req.destroyed, false);
          }),
        );
        await t.end();
      }, 5000);
    }
  });
}
