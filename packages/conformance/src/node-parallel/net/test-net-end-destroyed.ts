// Port of node/test/parallel/test-net-end-destroyed.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-end-destroyed', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer();

    server.on('connection', t.mustCall());

    // Ensure that the socket is not destroyed when the 'end' event is emitted.

    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const socket: any = net.createConnection({
          port: server.address().port,
          host: HOST,
        });

        socket.on(
          'connect',
          t.mustCall(() => {
            socket.on(
              'end',
              t.mustCall(() => {
                assert.strictEqual(socket.destroyed, false);
                server.close(() => t.done());
              }),
            );

            socket.end();
          }),
        );
      }),
    );
    await t.end();
  }, 3000);
}
