// Port of node/test/parallel/test-net-server-try-ports.js: the backend's createServer (t.net) for net.Server, on 127.0.0.1. common.PORT is the port server1 is given by listen(0); common.PORT + 1 (which may be taken) is a free port, listen(0). The process 'exit' checks run when the test ends.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-server-try-ports', async () => {
    const t = current();
    const net = t.net;
    // This tests binds to one port, then attempts to start a server on that
    // port. It should be EADDRINUSE but be able to then bind to another port.
    // Counted, never checked (as in Node's test).
    let _connections = 0;

    let server1listening = false;
    let server2listening = false;

    const server1: any = net.Server((socket: any) => {
      _connections++;
      socket.destroy();
    });

    const server2: any = net.Server((socket: any) => {
      _connections++;
      socket.destroy();
    });

    let server2errors = 0;
    server2.on('error', () => {
      server2errors++;
    });

    server1.listen(0, HOST, () => {
      server1listening = true;
      // This should make server2 emit EADDRINUSE
      server2.listen(server1.address().port, HOST);

      // Wait a bit, now try again.
      // TODO, the listen callback should report if there was an error.
      // Then we could avoid this very unlikely but potential race condition
      // here.
      setTimeout(() => {
        server2.listen(0, HOST, () => {
          server2listening = true;

          server1.close();
          server2.close(() => t.done());
        });
      }, 100);
    });
    await t.end();
    assert.equal(1, server2errors);
    assert.ok(server2listening);
    assert.ok(server1listening);
  }, 3000);
}
