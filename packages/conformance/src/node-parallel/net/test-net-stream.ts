// Port of node/test/parallel/test-net-stream.js: the backend's createServer/connect (t.net) for net.createServer/net.connect, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-stream', async () => {
    const t = current();
    const net = t.net;
    const SIZE = 2e6;
    const N = 10;
    const buf = Buffer.alloc(SIZE, 'a');

    const server: any = net
      .createServer((socket: any) => {
        socket.setNoDelay();

        socket
          .on(
            'error',
            t.mustCall(() => socket.destroy()),
          )
          .on(
            'close',
            t.mustCall(() => server.close(() => t.done())),
          );

        for (let i = 0; i < N; ++i) {
          socket.write(buf, () => {});
        }
        socket.end();
      })
      .listen(0, HOST, function (this: any) {
        const conn: any = net.connect(this.address().port, HOST);
        conn.on(
          'data',
          t.guard(() => {
            assert.strictEqual(conn, conn.pause());
            setTimeout(() => {
              conn.destroy();
            }, 20);
          }),
        );
      });
    await t.end();
  }, 5000);
}
