// Port of node/test/parallel/test-net-better-error-messages-listen.js: the backend's createServer (t.net) for net.createServer. The listen on 1.1.1.1 (an address of no local interface) fails at bind: nothing is sent.
import assert from 'node:assert';
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-better-error-messages-listen', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer(t.mustNotCall());
    server.listen(1, '1.1.1.1', t.mustNotCall());
    server.on(
      'error',
      t.mustCall((e: any) => {
        assert.equal(e.address, '1.1.1.1');
        assert.equal(e.port, 1);
        assert.equal(e.syscall, 'listen');
        t.done();
      }),
    );
    await t.end();
  }, 3000);
}
