// Port of node/test/parallel/test-net-end-without-connect.js: the backend's createSocket (t.net) for new net.Socket().
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-end-without-connect', async () => {
    const t = current();
    const net = t.net;
    const sock: any = new net.Socket();
    sock.end(); // Should not throw.
    t.done();
    await t.end();
  }, 3000);
}
