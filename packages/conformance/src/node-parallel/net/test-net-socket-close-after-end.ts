// Port of node/test/parallel/test-net-socket-close-after-end.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest, platformTimeout } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-socket-close-after-end', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer();

    server.on(
      'connection',
      t.mustCall((socket: any) => {
        let endEmitted = false;

        socket.once('readable', () => {
          setTimeout(() => {
            socket.read();
          }, platformTimeout(100));
        });
        socket.on('end', () => {
          endEmitted = true;
        });
        socket.on(
          'close',
          t.mustCall(() => {
            assert(endEmitted);
            server.close(() => t.done());
          }),
        );
        socket.end('foo');
      }),
    );

    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const socket: any = net.createConnection(server.address().port, HOST, () => {
          socket.end('foo');
        });
      }),
    );
    await t.end();
  }, 3000);
}
