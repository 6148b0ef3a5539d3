// Port of node/test/parallel/test-net-server-max-connections.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest, portOf } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-server-max-connections', async () => {
    const t = current();
    const net = t.net;
    // 20 connections to a server with maxConnections 10: the first 10 get through, the last 10 are rejected.
    const N = 20;
    let closes = 0;
    const waits: (() => void)[] = [];
    const server = net.createServer(
      t.mustCall((connection: any) => {
        connection.write('hello');
        waits.push(() => {
          connection.end();
        });
      }, N / 2),
    );
    server.listen(0, HOST, () => {
      makeConnection(0);
    });
    server.maxConnections = N / 2;

    function makeConnection(index: number) {
      const c = net.createConnection(portOf(server), HOST);
      let gotData = false;
      c.on('connect', () => {
        if (index + 1 < N) makeConnection(index + 1);
        c.on(
          'close',
          t.guard(() => {
            closes++;
            if (closes < N / 2) {
              assert.ok(
                server.maxConnections <= index,
                `${index} should not have been one of the first closed connections`,
              );
            }
            if (closes === N / 2) {
              for (let cb = waits.shift(); cb; cb = waits.shift()) cb();
              server.close();
            }
            if (index < server.maxConnections)
              assert.strictEqual(true, gotData, `${index} didn't get data, but should have`);
            else assert.strictEqual(false, gotData, `${index} got data, but shouldn't have`);
            if (closes === N) t.done();
          }),
        );
      });
      c.on('end', () => {
        c.end();
      });
      c.on(
        'data',
        t.guard((b: Buffer) => {
          gotData = true;
          assert.ok(0 < b.length);
        }),
      );
      c.on('error', () => {});
    }
    await t.end();
    // process.on('exit')
    assert.strictEqual(N, closes);
  }, 8000);
}
