// Port of node/test/parallel/test-net-write-after-close.js (Node's current copy; the oldest stored copy, with a server-side 'error', fails on Node 20 itself): the backend's createServer/connect (t.net) for net.createServer/net.connect, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-write-after-close', async () => {
    const t = current();
    const net = t.net;
    let serverSocket: any;

    const server: any = net.createServer(
      t.mustCall((socket: any) => {
        serverSocket = socket;
        socket.resume();
        socket.on('error', t.mustNotCall());
      }),
    );

    server.listen(0, HOST, function (this: any) {
      const client: any = net.connect(this.address().port, HOST, () => {
        client.on(
          'end',
          t.mustCall(() => {
            serverSocket.write(
              'test',
              t.mustCall((err: unknown) => {
                assert(err);
                server.close(() => t.done());
              }),
            );
          }),
        );
        client.end();
      });
    });
    await t.end();
  }, 3000);
}
