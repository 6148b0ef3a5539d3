// Port of node/test/parallel/test-http-client-close-event.js: createSecureServer for http.createServer, SecureAgent (t.agent()) for the default agent.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  // This test ensures that the `'close'` event is emitted after the `'error'`
  // event when a request is made and the socket is closed before we started to
  // receive a response.
  it('test-http-client-close-event', async () => {
    const t = current();
    const agent = t.agent();
    const server = t.createServer(t.mustNotCall());

    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const req = http.get({ host: HOST, port: portOf(server), agent }, t.mustNotCall());
        let errorEmitted = false;

        req.on(
          'error',
          t.guard((err: NodeJS.ErrnoException) => {
            errorEmitted = true;
            assert.strictEqual(err.constructor, Error);
            assert.strictEqual(err.message, 'socket hang up');
            assert.strictEqual(err.code, 'ECONNRESET');
          }),
        );

        req.on(
          'close',
          t.mustCall(() => {
            assert.strictEqual(errorEmitted, true);
            assert.strictEqual(req.closed, true);
            server.close(() => t.done());
          }),
        );

        req.destroy();
      }),
    );
    await t.end();
  }, 3000);
}
