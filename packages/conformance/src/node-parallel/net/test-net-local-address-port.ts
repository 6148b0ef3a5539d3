// Port of node/test/parallel/test-net-local-address-port.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1 (common.localhostIPv4).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-local-address-port', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer(
      t.mustCall(function (this: any, socket: any) {
        assert.strictEqual(socket.localAddress, HOST);
        assert.strictEqual(socket.localPort, this.address().port);
        socket.on('end', () => {
          server.close(() => t.done());
        });
        socket.resume();
      }),
    );

    server.listen(0, HOST, function (this: any) {
      const client: any = net.createConnection(this.address().port, HOST);
      client.on('connect', () => {
        client.end();
      });
    });
    await t.end();
  }, 3000);
}
