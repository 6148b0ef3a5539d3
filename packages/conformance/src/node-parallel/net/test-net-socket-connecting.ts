// Port of node/test/parallel/test-net-socket-connecting.js: the backend's createServer/connect (t.net) for net.createServer/net.connect, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-socket-connecting', async () => {
    const t = current();
    const net = t.net;
    const server: any = net
      .createServer((conn: any) => {
        conn.end();
        server.close(() => t.done());
      })
      .listen(
        0,
        HOST,
        t.guard(() => {
          const client: any = net.connect(
            server.address().port,
            HOST,
            t.mustCall(() => {
              assert.strictEqual(client.connecting, false);

              // Legacy getter
              assert.strictEqual(client._connecting, false);
              client.end();
            }),
          );
          assert.strictEqual(client.connecting, true);

          // Legacy getter
          assert.strictEqual(client._connecting, true);
        }),
      );
    await t.end();
  }, 3000);
}
