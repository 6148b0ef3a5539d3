// Port of node/test/parallel/test-net-server-drop-connections.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-server-drop-connections', async () => {
    const t = current();
    const net = t.net;
    let firstSocket: any;
    const server: any = net.createServer(
      t.mustCall((socket: any) => {
        firstSocket = socket;
      }),
    );

    server.maxConnections = 1;

    server.on(
      'drop',
      t.mustCall((data: any) => {
        assert.strictEqual(!!data.localAddress, true);
        assert.strictEqual(!!data.localPort, true);
        assert.strictEqual(!!data.remoteAddress, true);
        assert.strictEqual(!!data.remotePort, true);
        assert.strictEqual(!!data.remoteFamily, true);
        firstSocket.destroy();
        server.close(() => t.done());
      }),
    );

    server.listen(0, HOST, () => {
      net.createConnection(server.address().port, HOST);
      net.createConnection(server.address().port, HOST);
    });
    await t.end();
  }, 3000);
}
