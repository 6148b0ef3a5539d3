// Port of node/test/parallel/test-net-dns-lookup-skip.js: the backend's createServer/connect (t.net) for net.createServer/net.connect; check(4) only (127.0.0.1; the ::1 half is IPv6, loopback IPv4 only here), on a port given by listen(0) for common.PORT.
import assert from 'node:assert';
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-dns-lookup-skip', async () => {
    const t = current();
    const net = t.net;
    function check(addressType: number) {
      const server: any = net.createServer((client: any) => {
        client.end();
        server.close(() => t.done());
      });

      const address = addressType === 4 ? '127.0.0.1' : '::1';
      server.listen(0, address, () => {
        net.connect(server.address().port, address).on(
          'lookup',
          t.guard(() => assert.fail()),
        );
      });
    }

    check(4);
    await t.end();
  }, 3000);
}
