// Port of node/test/parallel/test-http-agent-timeout-option.js: SecureAgent for http.Agent; a loopback peer that accepts TCP and never negotiates stands in for the non-routable 192.0.2.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, silentPeer } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-agent-timeout-option', async () => {
    const t = current();
    const port = await silentPeer(t);
    const request = http.get({ agent: t.agent({ timeout: 500 }), host: HOST, port });
    request.on(
      'error',
      t.mustCall((err: NodeJS.ErrnoException) => {
        assert.ok(err instanceof Error);
        assert.strictEqual(err.code, 'ECONNRESET');
        assert.strictEqual(err.message, 'socket hang up');
        t.done();
      }),
    );
    request.on(
      'timeout',
      t.mustCall(() => {
        request.abort();
      }),
    );
    await t.end();
  }, 3000);
}
