// Port of node/test/parallel/test-net-after-close.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-after-close', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer((s: any) => {
      s.end();
    });

    server.listen(
      0,
      HOST,
      t.mustCall(function (this: any) {
        const c: any = net.createConnection(this.address().port, HOST);
        c.on(
          'close',
          t.mustCall(() => {
            assert.strictEqual(c._handle, null);
            assert.doesNotThrow(() => {
              c.setNoDelay();
              c.setKeepAlive();
              c.bufferSize;
              c.pause();
              c.resume();
              c.address();
              c.remoteAddress;
              c.remotePort;
            });
            server.close(() => t.done());
          }),
        );
      }),
    );
    await t.end();
  }, 3000);
}
