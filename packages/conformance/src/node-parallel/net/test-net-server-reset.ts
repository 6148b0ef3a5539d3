// Port of node/test/parallel/test-net-server-reset.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  // known: each client's 'error' after the server's resetAndDestroy() has code 'WSAECONNRESET' (wsasec's Winsock code, by design; nodeCode is 'ECONNRESET') where net's is 'ECONNRESET': core errors/node-errors.ts toSecureSocketError, from sim socket/socket.ts's TCP 'error' handler
  it.fails('test-net-server-reset', async () => {
    const t = current();
    const net = t.net;
    const sockets: any[] = [];
    let errors = 0;
    const onError = (error: any) => {
      assert.strictEqual(error.code, 'ECONNRESET');
      if (++errors === 2) t.done();
    };

    const server: any = net.createServer(
      t.guard((c: any) => {
        c.on('close', t.mustCall());

        sockets.push(c);

        if (sockets.length === 2) {
          assert.strictEqual(server.close(), server);
          for (const c of sockets) c.resetAndDestroy();
        }
      }),
    );

    server.on('close', t.mustCall());

    assert.strictEqual(
      server,
      server.listen(0, HOST, () => {
        net.createConnection(server.address().port, HOST).on('error', t.mustCall(onError));
        net.createConnection(server.address().port, HOST).on('error', t.mustCall(onError));
      }),
    );
    await t.end();
  }, 3000);
}
