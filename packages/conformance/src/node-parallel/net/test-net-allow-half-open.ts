// Port of node/test/parallel/test-net-allow-half-open.js: the backend's createServer/connect (t.net) for net.createServer/net.connect.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest, portOf } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-allow-half-open', async () => {
    const t = current();
    const net = t.net;
    const server = net.createServer(
      t.mustCall((socket: any) => {
        socket.end(Buffer.alloc(1024));
      }),
    );
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const socket = net.connect(portOf(server), HOST);
        assert(socket.allowHalfOpen === false);
        socket.resume();
        socket.on(
          'end',
          t.mustCall(() => {
            process.nextTick(
              t.guard(() => {
                // Ensure socket is not destroyed straight away without proper shutdown.
                assert(!socket.destroyed);
                server.close();
              }),
            );
          }),
        );
        socket.on(
          'finish',
          t.mustCall(() => {
            assert(!socket.destroyed);
          }),
        );
        socket.on(
          'close',
          t.mustCall(() => t.done()),
        );
      }),
    );
    await t.end();
  }, 5000);
}
