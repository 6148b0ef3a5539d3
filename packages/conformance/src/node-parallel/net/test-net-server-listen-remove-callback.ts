// Port of node/test/parallel/test-net-server-listen-remove-callback.js: the backend's createServer (t.net) for net.createServer; port 0 for common.PORT and common.PORT + 1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-server-listen-remove-callback', async () => {
    const t = current();
    // Server should only fire listen callback once
    const server = t.net.createServer();
    let closes = 0;
    server.on(
      'close',
      t.mustCall(() => {
        const listeners = server.listeners('listening');
        assert.equal(0, listeners.length);
        if (++closes === 2) t.done();
      }, 2),
    );
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        server.close();
      }),
    );
    server.once('close', () => {
      server.listen(
        0,
        HOST,
        t.mustCall(() => {
          server.close();
        }),
      );
    });
    await t.end();
  }, 5000);
}
