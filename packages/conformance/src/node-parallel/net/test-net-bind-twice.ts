// Port of node/test/parallel/test-net-bind-twice.js: the backend's createServer (t.net) for net.createServer, on 127.0.0.1; the process 'exit' check runs when the test ends.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  // known: the second listen's 'error' has code 'WSAEADDRINUSE' (wsasec's Winsock code, by design; nodeCode is 'EADDRINUSE') where net's is 'EADDRINUSE': sim socket/server.ts SimServerDriver.listen rejects with core's toSecureSocketError (errors/node-errors.ts), which maps Node's EADDRINUSE to WSAEADDRINUSE
  it.fails('test-net-bind-twice', async () => {
    const t = current();
    const net = t.net;
    let gotError = false;

    const dontCall = t.guard(() => {
      assert(false);
    });

    const server1: any = net.createServer(dontCall);
    server1.listen(
      0,
      HOST,
      t.guard(function (this: any) {
        const server2: any = net.createServer(dontCall);
        server2.listen(this.address().port, HOST, dontCall);

        server2.on(
          'error',
          t.guard((e: any) => {
            assert.equal(e.code, 'EADDRINUSE');
            server1.close(() => t.done());
            gotError = true;
          }),
        );
      }),
    );
    await t.end();
    assert(gotError);
  }, 3000);
}
