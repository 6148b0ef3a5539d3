// Port of node/test/parallel/test-net-socket-connect-without-cb.js: the backend's createServer/createSocket (t.net) for net.createServer/new net.Socket, on 127.0.0.1.
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-socket-connect-without-cb', async () => {
    const t = current();
    const net = t.net;
    // This test ensures that socket.connect can be called without callback
    // which is optional.
    const server: any = net
      .createServer(
        t.mustCall((conn: any) => {
          conn.end();
          server.close(() => t.done());
        }),
      )
      .listen(
        0,
        HOST,
        t.mustCall(() => {
          const client: any = new net.Socket();

          client.on(
            'connect',
            t.mustCall(() => {
              client.end();
            }),
          );

          const address = server.address();
          client.connect(address);
        }),
      );
    await t.end();
  }, 3000);
}
