// Port of node/test/parallel/test-net-server-options.js: the backend's createServer (t.net) for net.createServer.
import assert from 'node:assert';
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  // known: createServer('path') and createServer(0) throw SecureSocketError 'WSAEINVAL' ("createServer options must be { security?, family? }"), not a TypeError (net's ERR_INVALID_ARG_TYPE): core backend/define.ts createServer's options check
  it('test-net-server-options', () => {
    const t = current();
    const net = t.net;
    assert.throws(() => {
      net.createServer('path' as never);
    }, TypeError);
    assert.throws(() => {
      net.createServer(0 as never);
    }, TypeError);
  });
}
