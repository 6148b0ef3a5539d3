// Port of node/test/parallel/test-net-persistent-keepalive.js: the backend's createServer/Socket (t.net) for net.createServer/new net.Socket(), on 127.0.0.1.
import assert from 'node:assert';
import * as realNet from 'node:net';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-persistent-keepalive', async () => {
    const t = current();
    const net = t.net;
    let serverConnection: any;
    let clientConnection: any;
    const echoServer: any = net.createServer((connection: any) => {
      serverConnection = connection;
      setTimeout(
        t.guard(() => {
          // make sure both connections are still open
          assert.equal(serverConnection.readyState, 'open');
          assert.equal(clientConnection.readyState, 'open');
          serverConnection.end();
          clientConnection.end();
          echoServer.close(() => t.done());
        }),
        600,
      );
      connection.setTimeout(0);
      assert.equal(typeof connection.setKeepAlive, 'function');
      connection.on('end', () => {
        connection.end();
      });
    });
    echoServer.listen(0, HOST);

    echoServer.on('listening', function (this: any) {
      clientConnection = new net.Socket();
      // send a keepalive packet after 1000 ms
      // and make sure it persists
      const s = clientConnection.setKeepAlive(true, 400);
      assert.ok(s instanceof realNet.Socket);
      clientConnection.connect(this.address().port, HOST);
      clientConnection.setTimeout(0);
    });
    await t.end();
  }, 3000);
}
