// Port of node/test/parallel/test-net-socket-no-halfopen-enforcer.js: the backend's createSocket (t.net) for new net.Socket({ allowHalfOpen: false }).
import assert from 'node:assert';
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-socket-no-halfopen-enforcer', () => {
    const t = current();
    const { Socket } = t.net;
    // This test ensures that `net.Socket` does not inherit the no-half-open
    // enforcer from `stream.Duplex`.
    const socket = new Socket({ allowHalfOpen: false });
    assert.strictEqual(socket.listenerCount('end'), 1);
  });
}
