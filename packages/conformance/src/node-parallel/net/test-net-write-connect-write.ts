// Port of node/test/parallel/test-net-write-connect-write.js: the backend's createServer/connect (t.net) for net.createServer/net.connect, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-write-connect-write', async () => {
    const t = current();
    const net = t.net;
    const server: any = net
      .createServer((socket: any) => {
        socket.pipe(socket);
      })
      .listen(
        0,
        HOST,
        t.mustCall(function (this: any) {
          const conn: any = net.connect(this.address().port, HOST);
          let received = '';

          conn.setEncoding('utf8');
          conn.write('before');
          conn.on('connect', () => {
            conn.write(' after');
          });
          conn.on('data', (buf: string) => {
            received += buf;
            conn.end();
          });
          conn.on(
            'end',
            t.mustCall(() => {
              server.close(() => t.done());
              assert.strictEqual(received, 'before after');
            }),
          );
        }),
      );
    await t.end();
  }, 3000);
}
