// Port of node/test/parallel/test-net-sync-cork.js: the backend's createServer/connect (t.net) for net.createServer/net.connect, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-sync-cork', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer(handle);

    const N = 100;
    const buf = Buffer.alloc(2, 'a');

    server.listen(0, HOST, function (this: any) {
      const conn: any = net.connect(this.address().port, HOST);

      conn.on(
        'connect',
        t.guard(() => {
          let res = true;
          let i = 0;
          for (; i < N && res; i++) {
            conn.cork();
            conn.write(buf);
            res = conn.write(buf);
            conn.uncork();
          }
          assert.strictEqual(i, N);
          conn.end();
        }),
      );
    });

    function handle(socket: any) {
      socket.resume();
      socket.on('error', t.mustNotCall()).on(
        'close',
        t.mustCall(() => server.close(() => t.done())),
      );
    }
    await t.end();
  }, 3000);
}
