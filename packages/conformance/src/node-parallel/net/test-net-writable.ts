// Port of node/test/parallel/test-net-writable.js: the backend's createServer/connect (t.net) for net.createServer/net.connect; 127.0.0.1 for 'localhost'.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-writable', async () => {
    const t = current();
    const net = t.net;
    const server: any = net
      .createServer(
        t.mustCall((s: any) => {
          server.close();
          s.end();
        }),
      )
      .listen(
        0,
        HOST,
        t.mustCall(function (this: any) {
          const socket: any = net.connect(this.address().port, HOST);
          socket.on(
            'end',
            t.mustCall(() => {
              assert.strictEqual(socket.writable, true);
              socket.write('hello world');
              t.done();
            }),
          );
        }),
      );
    await t.end();
  }, 3000);
}
