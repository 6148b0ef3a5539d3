// Port of node/test/parallel/test-net-buffersize.js: the backend's createServer/connect (t.net) for net.createServer/net.connect, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-buffersize', async () => {
    const t = current();
    const net = t.net;
    const iter = 10;

    const server: any = net.createServer((socket: any) => {
      socket.on('readable', () => {
        socket.read();
      });

      socket.on('end', () => {
        server.close(() => t.done());
      });
    });

    server.listen(
      0,
      HOST,
      t.mustCall(function (this: any) {
        const client: any = net.connect(this.address().port, HOST);

        client.on(
          'finish',
          t.mustCall(() => {
            assert.strictEqual(client.bufferSize, 0);
          }),
        );

        for (let i = 1; i < iter; i++) {
          client.write('a');
          assert.strictEqual(client.bufferSize, i);
        }

        client.end();
      }),
    );
    await t.end();
  }, 3000);
}
