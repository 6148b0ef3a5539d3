// Port of node/test/parallel/test-net-remote-address.js: the backend's createServer/connect (t.net) for net.createServer/net.connect; the server listens on 127.0.0.1 and the client connects there.
import { strictEqual } from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-remote-address', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer();

    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const socket: any = net.connect({ port: server.address().port, host: HOST });

        strictEqual(socket.connecting, true);
        strictEqual(socket.remoteAddress, undefined);

        socket.on(
          'connect',
          t.mustCall(() => {
            strictEqual(socket.remoteAddress !== undefined, true);
            socket.end();
          }),
        );

        socket.on(
          'end',
          t.mustCall(() => {
            server.close(() => t.done());
          }),
        );
      }),
    );
    await t.end();
  }, 3000);
}
