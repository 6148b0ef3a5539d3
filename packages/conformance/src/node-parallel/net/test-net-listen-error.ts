// Port of node/test/parallel/test-net-listen-error.js: the backend's createServer (t.net) for net.createServer; the process 'exit' check runs when the test ends. The listen on 1.1.1.1 (an address of no local interface) fails at bind: nothing is sent.
import assert from 'node:assert';
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-listen-error', async () => {
    const t = current();
    const net = t.net;
    let gotError = false;

    const server: any = net.createServer((socket: any) => {});
    server.listen(
      1,
      '1.1.1.1',
      t.guard(() => {
        // EACCESS or EADDRNOTAVAIL
        assert(false);
      }),
    );
    server.on('error', (error: any) => {
      gotError = true;
      t.done();
    });
    await t.end();
    assert(gotError);
  }, 3000);
}
