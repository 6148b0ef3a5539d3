// Port of node/test/parallel/test-net-server-connections.js: the backend's createServer (t.net) for new net.Server().
import assert from 'node:assert';
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-server-connections', () => {
    const t = current();
    const net = t.net;
    // test that server.connections property is no longer enumerable now that it
    // has been marked as deprecated
    const server = new (net.Server as unknown as new () => object)();

    assert.equal(Object.keys(server).indexOf('connections'), -1);
  });
}
