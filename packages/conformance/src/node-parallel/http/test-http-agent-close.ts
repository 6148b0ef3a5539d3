// Port of node/test/parallel/test-http-agent-close.js: SecureAgent for http.Agent (its createSocket replaced, as Node's test does).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-agent-close', async () => {
    const t = current();
    const agent = t.agent();
    const _err = new Error('kaboom');
    (agent as any).createSocket = (req: unknown, options: unknown, cb: (e: Error) => void) => {
      cb(_err);
    };
    const req = http
      .request({ agent, host: HOST })
      .on(
        'error',
        t.mustCall((err: Error) => {
          assert.strictEqual(err, _err);
        }),
      )
      .on(
        'close',
        t.mustCall(() => {
          assert.strictEqual(req.destroyed, true);
          t.done();
        }),
      );
    await t.end();
  }, 5000);
}
