// Port of node/test/parallel/test-net-connect-reset-before-connected.js: the backend's createServer/connect (t.net) for net.createServer/net.connect. The server listens on 127.0.0.1 (Node's listens on any address, whose port is known at once), so the rest runs in the listen callback.
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-connect-reset-before-connected', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer();
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const port = server.address().port;
        const socket: any = net.connect(port, HOST, t.mustNotCall());
        socket.on('error', t.mustNotCall());
        server.close(() => t.done());
        socket.resetAndDestroy();
        // `reset` waiting socket connected to sent the RST packet
        socket.destroy();
      }),
    );
    await t.end();
  }, 3000);
}
