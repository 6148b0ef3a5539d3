// Port of node/test/parallel/test-net-timeout-no-handle.js: the backend's createSocket (t.net) for new net.Socket(). Node's test keeps the process alive 200 ms for the unref'd timeout; the test ends there.
import assert from 'node:assert';
import { it } from 'vitest';
import { type NodeNetTest, platformTimeout } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-timeout-no-handle', async () => {
    const t = current();
    const net = t.net;
    const socket: any = new net.Socket();
    socket.setTimeout(platformTimeout(50));

    socket.on(
      'timeout',
      t.mustCall(() => {
        assert.strictEqual(socket._handle, null);
      }),
    );

    socket.on('connect', t.mustNotCall());

    // since the timeout is unrefed, the code will exit without this
    setTimeout(() => t.done(), platformTimeout(200));
    await t.end();
  }, 3000);
}
