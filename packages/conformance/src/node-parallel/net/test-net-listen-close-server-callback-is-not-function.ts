// Port of node/test/parallel/test-net-listen-close-server-callback-is-not-function.js: the backend's createServer (t.net) for net.createServer; common.fail as t.mustNotCall().
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-listen-close-server-callback-is-not-function', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer(t.mustNotCall());

    server.on(
      'close',
      t.mustCall(() => {
        t.done();
      }),
    );

    server.listen(0, t.mustNotCall());

    server.close('bad argument');
    await t.end();
  }, 3000);
}
