// Port of node/test/parallel/test-net-socket-byteswritten.js: the backend's createServer/connect (t.net) for net.createServer/net.connect, on 127.0.0.1. The test ends where Node's does, at `server.close()` (its callback waits for the server's side of the connection, which nobody reads).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-socket-byteswritten', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer((socket: any) => {
      socket.end();
    });

    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const socket: any = net.connect(server.address().port, HOST);

        // Cork the socket, then write twice; this should cause a writev, which
        // previously caused an err in the bytesWritten count.
        socket.cork();

        socket.write('one');
        socket.write(Buffer.from('twø', 'utf8'));

        socket.uncork();

        // one = 3 bytes, twø = 4 bytes
        assert.strictEqual(socket.bytesWritten, 3 + 4);

        socket.on(
          'connect',
          t.mustCall(() => {
            assert.strictEqual(socket.bytesWritten, 3 + 4);
          }),
        );

        socket.on(
          'end',
          t.mustCall(() => {
            assert.strictEqual(socket.bytesWritten, 3 + 4);

            server.close();
            t.done();
          }),
        );
      }),
    );
    await t.end();
  }, 3000);
}
