// Port of node/test/parallel/test-net-during-close.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-during-close', async () => {
    const t = current();
    let accessedProperties = false;
    const server = t.net.createServer((socket: any) => {
      socket.end();
    });
    server.listen(
      0,
      HOST,
      t.guard(function (this: any) {
        const client = t.net.createConnection(this.address().port, HOST);
        client.on('error', () => {});
        server.close();
        // The server's connection event has not yet fired: the client is still connecting
        assert.doesNotThrow(() => {
          client.remoteAddress;
          client.remoteFamily;
          client.remotePort;
        });
        accessedProperties = true;
        // exit now, do not wait for the client error event
        t.done();
      }),
    );
    await t.end();
    assert(accessedProperties);
  }, 5000);
}
