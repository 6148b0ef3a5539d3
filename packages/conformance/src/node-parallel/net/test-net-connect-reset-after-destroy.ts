// Port of node/test/parallel/test-net-connect-reset-after-destroy.js; common.expectsError is a mustCall asserting the same fields: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  // known: as test-net-socket-reset-send: the server socket's 'error' after the client's resetAndDestroy() has code WSAECONNRESET, message 'recv failed: read ECONNRESET', name SecureSocketError (core errors/node-errors.ts toSecureSocketError, from sim socket/socket.ts's TCP 'error' handler) where net's is ECONNRESET / 'read ECONNRESET' / Error; nodeCode is ECONNRESET
  it.fails('test-net-connect-reset-after-destroy', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer();
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const port = server.address().port;
        const conn: any = net.createConnection(port, HOST);
        server.on('connection', (socket: any) => {
          socket.on(
            'error',
            t.mustCall((err: any) => {
              assert.strictEqual(err.code, 'ECONNRESET');
              assert.strictEqual(err.message, 'read ECONNRESET');
              assert.strictEqual(err.name, 'Error');
            }),
          );
        });

        conn.on(
          'connect',
          t.mustCall(() => {
            assert.strictEqual(conn, conn.resetAndDestroy().destroy());
            conn.on('error', t.mustNotCall());

            conn.write(
              Buffer.from('fzfzfzfzfz'),
              t.mustCall((err: any) => {
                assert.strictEqual(err.code, 'ERR_STREAM_DESTROYED');
                assert.strictEqual(err.message, 'Cannot call write after a stream was destroyed');
                assert.strictEqual(err.name, 'Error');
              }),
            );
            server.close(() => t.done());
          }),
        );
      }),
    );
    await t.end();
  }, 3000);
}
