// Port of node/test/parallel/test-net-eaddrinuse.js: the backend's createServer (t.net) for net.createServer; both servers on 127.0.0.1 (Node's listen on any address).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-eaddrinuse', async () => {
    const t = current();
    const net = t.net;
    const server1: any = net.createServer((socket: any) => {});
    const server2: any = net.createServer((socket: any) => {});
    server1.listen(
      0,
      HOST,
      t.mustCall(function (this: any) {
        server2.on(
          'error',
          t.guard((error: Error) => {
            assert.strictEqual(error.message.includes('EADDRINUSE'), true);
            server1.close(() => t.done());
          }),
        );
        server2.listen(this.address().port, HOST);
      }),
    );
    await t.end();
  }, 3000);
}
