// Port of node/test/parallel/test-net-dns-custom-lookup.js: the backend's createServer/connect (t.net) for net.createServer/net.connect; check(4) only (127.0.0.1; the ::1 half is IPv6, loopback IPv4 only here), on a port given by listen(0) for common.PORT. 'localhost' goes through the test's lookup to dns.lookup (the hosts file); nothing leaves the machine. The process 'exit' check runs when the test ends.
import assert from 'node:assert';
import dns from 'node:dns';
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-dns-custom-lookup', async () => {
    const t = current();
    const net = t.net;
    let ok = false;

    function check(addressType: number, cb?: () => void) {
      const server: any = net.createServer((client: any) => {
        client.end();
        server.close(() => t.done());
        cb?.();
      });

      const address = addressType === 4 ? '127.0.0.1' : '::1';
      server.listen(0, address, () => {
        net
          .connect({
            port: server.address().port,
            host: 'localhost',
            lookup: lookup,
          })
          .on(
            'lookup',
            t.guard((err: unknown, ip: string, type: number) => {
              assert.equal(err, null);
              assert.equal(ip, address);
              assert.equal(type, addressType);
              ok = true;
            }),
          );
      });

      function lookup(host: string, dnsopts: any, cb: (...args: any[]) => void) {
        dnsopts.family = addressType;
        dns.lookup(host, dnsopts, cb);
      }
    }

    check(4);
    await t.end();
    assert.ok(ok);
  }, 3000);
}
