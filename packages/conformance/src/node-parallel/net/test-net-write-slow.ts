// Port of node/test/parallel/test-net-write-slow.js: the backend's createServer/connect (t.net) for net.createServer/net.connect, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-write-slow', async () => {
    const t = current();
    const net = t.net;
    const SIZE = 2e5;
    const N = 10;
    let flushed = 0;
    let received = 0;
    const buf = Buffer.alloc(SIZE, 'a');

    const server: any = net
      .createServer((socket: any) => {
        socket.setNoDelay();
        socket.setTimeout(9999);
        socket.on(
          'timeout',
          t.guard(() => {
            assert.fail(`flushed: ${flushed}, received: ${received}/${SIZE * N}`);
          }),
        );

        for (let i = 0; i < N; ++i) {
          socket.write(buf, () => {
            ++flushed;
            if (flushed === N) {
              socket.setTimeout(0);
            }
          });
        }
        socket.end();
      })
      .listen(
        0,
        HOST,
        t.mustCall(function (this: any) {
          const conn: any = net.connect(this.address().port, HOST);
          conn.on('data', (buf: Buffer) => {
            received += buf.length;
            conn.pause();
            setTimeout(() => {
              conn.resume();
            }, 20);
          });
          conn.on(
            'end',
            t.mustCall(() => {
              server.close(() => t.done());
              assert.strictEqual(received, SIZE * N);
            }),
          );
        }),
      );
    await t.end();
  }, 10000);
}
