// Port of node/test/parallel/test-net-socket-ready-without-cb.js: the backend's createServer/createSocket (t.net) for net.createServer/new net.Socket.
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-socket-ready-without-cb', async () => {
    const t = current();
    const net = t.net;
    // socket.connect can be called without callback, which is optional.
    const server = net.createServer(
      t.mustCall((conn: any) => {
        conn.end();
        server.close();
      }),
    );
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const client = new net.Socket();
        client.on(
          'ready',
          t.mustCall(() => {
            client.end();
            t.done();
          }),
        );
        client.connect(server.address() as any);
      }),
    );
    await t.end();
  }, 5000);
}
