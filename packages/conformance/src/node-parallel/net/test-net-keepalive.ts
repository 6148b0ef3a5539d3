// Port of node/test/parallel/test-net-keepalive.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest, platformTimeout } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-keepalive', async () => {
    const t = current();
    const net = t.net;
    let serverConnection: any;
    let clientConnection: any;
    const echoServer: any = net.createServer((connection: any) => {
      serverConnection = connection;
      setTimeout(
        t.mustCall(() => {
          // Make sure both connections are still open
          assert.strictEqual(serverConnection.readyState, 'open');
          assert.strictEqual(clientConnection.readyState, 'open');
          serverConnection.end();
          clientConnection.end();
          echoServer.close(() => t.done());
        }, 1),
        platformTimeout(100),
      );
      connection.setTimeout(0);
      assert.notStrictEqual(connection.setKeepAlive, undefined);
      // Send a keepalive packet after 50 ms
      connection.setKeepAlive(true, platformTimeout(50));
      connection.on('end', () => {
        connection.end();
      });
    });
    echoServer.listen(0, HOST);

    echoServer.on('listening', function (this: any) {
      clientConnection = net.createConnection(this.address().port, HOST);
      clientConnection.setTimeout(0);
    });
    await t.end();
  }, 3000);
}
