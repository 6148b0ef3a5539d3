// Port of node/test/parallel/test-net-connect-reset-until-connected.js; common.expectsError is a mustCall asserting the same fields: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  function barrier(count: number, cb: () => void) {
    return () => {
      if (--count === 0) cb();
    };
  }

  // known: as test-net-socket-reset-send: the server socket's 'error' after the client's resetAndDestroy() has code WSAECONNRESET, name SecureSocketError (core errors/node-errors.ts toSecureSocketError, from sim socket/socket.ts's TCP 'error' handler) where net's is ECONNRESET / 'read ECONNRESET' / Error; the client's 'close' comes
  it.fails('test-net-connect-reset-until-connected', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer();
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const port = server.address().port;
        const conn: any = net.createConnection(port, HOST);
        const connok = barrier(2, () => conn.resetAndDestroy());
        conn.on('close', t.mustCall());
        server.on('connection', (socket: any) => {
          connok();
          socket.on(
            'error',
            t.mustCall((err: any) => {
              assert.strictEqual(err.code, 'ECONNRESET');
              assert.strictEqual(err.message, 'read ECONNRESET');
              assert.strictEqual(err.name, 'Error');
              t.done();
            }),
          );
          server.close();
        });
        conn.on('connect', connok);
      }),
    );
    await t.end();
  }, 3000);
}
