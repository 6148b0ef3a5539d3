// Port of node/test/parallel/test-net-socket-destroy-send.js (Node's current copy: no 'error', the write callback gets ERR_STREAM_DESTROYED; the stored older copies' ERR_SOCKET_CLOSED fails on Node 20 itself); common.expectsError is a mustCall asserting the same fields: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-socket-destroy-send', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer();
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const port = server.address().port;
        const conn: any = net.createConnection(port, HOST);

        conn.on(
          'connect',
          t.mustCall(() => {
            // Test destroy returns this, even on multiple calls when it short-circuits.
            assert.strictEqual(conn, conn.destroy().destroy());
            conn.on('error', t.mustNotCall());

            conn.write(
              Buffer.from('kaboom'),
              t.mustCall((err: any) => {
                assert.strictEqual(err.code, 'ERR_STREAM_DESTROYED');
                assert.strictEqual(err.message, 'Cannot call write after a stream was destroyed');
                assert.strictEqual(err.name, 'Error');
              }),
            );
            server.close(() => t.done());
          }),
        );
      }),
    );
    await t.end();
  }, 3000);
}
