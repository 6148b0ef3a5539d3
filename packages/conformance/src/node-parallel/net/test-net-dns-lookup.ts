// Port of node/test/parallel/test-net-dns-lookup.js: the backend's createServer/connect (t.net) for net.createServer/net.connect, on 127.0.0.1; 'localhost' is resolved by the system resolver (the hosts file), nothing leaves the machine.
import assert from 'node:assert';
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-dns-lookup', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer((client: any) => {
      client.end();
      server.close(() => t.done());
    });

    server.listen(
      0,
      '127.0.0.1',
      t.mustCall(function (this: any) {
        net.connect(this.address().port, 'localhost').on(
          'lookup',
          t.mustCall((err: unknown, ip: string, type: number, host: string) => {
            assert.strictEqual(err, null);
            assert.strictEqual(ip, '127.0.0.1');
            assert.strictEqual(type, 4);
            assert.strictEqual(host, 'localhost');
          }),
        );
      }),
    );
    await t.end();
  }, 3000);
}
