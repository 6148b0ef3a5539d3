// Port of node/test/parallel/test-net-write-cb-on-destroy-before-connect.js: the backend's createServer/Socket (t.net) for net.createServer/new net.Socket(), on 127.0.0.1; common.expectsError is a mustCall asserting the same fields.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-write-cb-on-destroy-before-connect', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer();
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const socket: any = new net.Socket();

        socket.on('connect', t.mustNotCall());

        socket.connect({
          port: server.address().port,
          host: HOST,
        });

        assert(socket.connecting);

        socket.write(
          'foo',
          t.mustCall((err: any) => {
            assert.strictEqual(err.code, 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION');
            assert.strictEqual(err.name, 'Error');
          }),
        );

        socket.destroy();
        server.close(() => t.done());
      }),
    );
    await t.end();
  }, 3000);
}
