// Port of node/test/parallel/test-net-client-bind-twice.js: the backend's createServer/connect (t.net) for net.createServer/net.connect, on 127.0.0.1 (common.localhostIPv4).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  // known: the bind of the used local port fails as on net, but the error's code is WSAEADDRINUSE (nodeCode EADDRINUSE): wsasec's Winsock codes, by design (sim socket/connect.ts tcpConnect → core toSecureSocketError)
  it.fails('test-net-client-bind-twice', async () => {
    const t = current();
    const net = t.net;
    // This tests that net.connect() from a used local port throws EADDRINUSE.
    const server1: any = net.createServer(t.mustNotCall());
    server1.listen(
      0,
      HOST,
      t.mustCall(() => {
        const server2: any = net.createServer(t.mustNotCall());
        server2.listen(
          0,
          HOST,
          t.mustCall(() => {
            const client: any = net.connect(
              {
                host: HOST,
                port: server1.address().port,
                localAddress: HOST,
                localPort: server2.address().port,
              },
              t.mustNotCall(),
            );

            client.on(
              'error',
              t.mustCall((err: any) => {
                assert.strictEqual(err.code, 'EADDRINUSE');
                server1.close();
                server2.close(() => t.done());
              }),
            );
          }),
        );
      }),
    );
    await t.end();
  }, 3000);
}
