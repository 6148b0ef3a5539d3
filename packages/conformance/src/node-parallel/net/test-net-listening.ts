// Port of node/test/parallel/test-net-listening.js: the backend's createServer (t.net) for net.createServer, on port 0 of 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-listening', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer();

    assert.strictEqual(server.listening, false);

    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        assert.strictEqual(server.listening, true);

        server.close(
          t.mustCall(() => {
            assert.strictEqual(server.listening, false);
            t.done();
          }),
        );
      }),
    );
    await t.end();
  }, 3000);
}
