// Port of node/test/parallel/test-http-server-close-destroy-timeout.js: createSecureServer for http.createServer. Node's test reads
// the interval through `require('internal/http/server').kConnectionsCheckingInterval` (--expose-internals); the port finds the same
// symbol on the server by its description ('http.server.connectionsCheckingInterval'), which is what the internal export is.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeHttpTest } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  function connectionsCheckingInterval(server: object): symbol {
    const symbol = Object.getOwnPropertySymbols(server).find(
      (s) => s.description === 'http.server.connectionsCheckingInterval',
    );
    if (!symbol) throw new Error('no http.server.connectionsCheckingInterval symbol on the server');
    return symbol;
  }

  it('test-http-server-close-destroy-timeout', async () => {
    const t = current();
    const server: any = t.createServer((_req, _res) => {});
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const kConnectionsCheckingInterval = connectionsCheckingInterval(server);
        assert.strictEqual(server[kConnectionsCheckingInterval]._destroyed, false);
        server.close(
          t.mustCall(() => {
            assert(server[kConnectionsCheckingInterval]._destroyed);
            t.done();
          }),
        );
      }),
    );
    await t.end();
  }, 3000);
}
