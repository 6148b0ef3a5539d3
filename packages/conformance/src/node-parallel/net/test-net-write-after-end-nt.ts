// Port of node/test/parallel/test-net-write-after-end-nt.js: the backend's createServer/connect (t.net) for net.createServer/net.connect.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest, portOf } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-write-after-end-nt', async () => {
    const t = current();
    const net = t.net;
    // Errors of net.Socket.write() after the socket ended are emitted in the next tick.
    const server = net.createServer(
      t.mustCall((socket: any) => {
        socket.end();
      }),
    );
    server.listen(0, HOST, () => {
      const client = net.connect(portOf(server), HOST, () => {
        let hasError = false;
        client.on(
          'error',
          t.mustCall(() => {
            hasError = true;
            server.close();
            t.done();
          }),
        );
        client.on(
          'end',
          t.mustCall(() => {
            const ret = client.write(
              'hello',
              t.mustCall((err?: NodeJS.ErrnoException | null) => {
                assert.ok(err instanceof Error);
                assert.strictEqual(err.code, 'EPIPE');
                assert.strictEqual(err.name, 'Error');
              }),
            );
            assert.strictEqual(ret, false);
            assert(!hasError, 'The error should be emitted in the next tick.');
          }),
        );
        client.end();
      });
    });
    await t.end();
  }, 5000);
}
