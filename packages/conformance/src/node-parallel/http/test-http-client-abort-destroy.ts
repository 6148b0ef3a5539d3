// Port of node/test/parallel/test-http-client-abort-destroy.js: createSecureServer for http.createServer, a SecureAgent for the global agent.
import assert from 'node:assert';
import { describe, it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  describe('test-http-client-abort-destroy', () => {
    it('abort', async () => {
      const t = current();
      const agent = t.agent();
      const server = t.createServer(
        t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
          res.end('Hello');
        }),
      );
      server.listen(
        0,
        HOST,
        t.mustCall(() => {
          const req = http.get(
            { host: HOST, port: portOf(server), agent },
            t.mustCall((res: http.IncomingMessage) => {
              res.on(
                'data',
                t.guard(() => {
                  req.abort();
                  assert.strictEqual(req.aborted, true);
                  assert.strictEqual(req.destroyed, true);
                  server.close();
                  t.done();
                }),
              );
            }),
          );
          req.on('error', t.mustNotCall());
          assert.strictEqual(req.aborted, false);
          assert.strictEqual(req.destroyed, false);
        }),
      );
      await t.end();
    }, 5000);

    it('destroy + res', async () => {
      const t = current();
      const agent = t.agent();
      const server = t.createServer(
        t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
          res.end('Hello');
        }),
      );
      server.listen(
        0,
        HOST,
        t.mustCall(() => {
          const req = http.get(
            { host: HOST, port: portOf(server), agent },
            t.mustCall((res: http.IncomingMessage) => {
              res.on(
                'data',
                t.guard(() => {
                  req.destroy();
                  assert.strictEqual(req.aborted, false);
                  assert.strictEqual(req.destroyed, true);
                  server.close();
                  t.done();
                }),
              );
            }),
          );
          req.on('error', t.mustNotCall());
          assert.strictEqual(req.aborted, false);
          assert.strictEqual(req.destroyed, false);
        }),
      );
      await t.end();
    }, 5000);

    it('destroy (before the connection is set up)', async () => {
      const t = current();
      const agent = t.agent();
      const server = t.createServer(t.mustNotCall());
      server.listen(
        0,
        HOST,
        t.mustCall(() => {
          const req = http.get({ host: HOST, port: portOf(server), agent }, t.mustNotCall());
          req.on(
            'error',
            t.mustCall((err: NodeJS.ErrnoException) => {
              assert.strictEqual(err.code, 'ECONNRESET');
              server.close();
              t.done();
            }),
          );
          assert.strictEqual(req.aborted, false);
          assert.strictEqual(req.destroyed, false);
          req.destroy();
          assert.strictEqual(req.aborted, false);
          assert.strictEqual(req.destroyed, true);
        }),
      );
      await t.end();
    }, 5000);
  });
}
