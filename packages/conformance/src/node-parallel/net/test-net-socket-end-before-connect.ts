// Port of node/test/parallel/test-net-socket-end-before-connect.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1.
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-socket-end-before-connect', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer();

    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const socket: any = net.createConnection(server.address().port, HOST);
        socket.on(
          'close',
          t.mustCall(() => server.close(() => t.done())),
        );
        socket.end();
      }),
    );
    await t.end();
  }, 3000);
}
