// Port of node/test/parallel/test-net-throttle.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1; the debuglog lines are left out. On Node's net the server's write loop fills the kernel's buffers (some 4 MB here), read in 100 ms pauses: some 6 s.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-throttle', async () => {
    const t = current();
    const net = t.net;
    let chars_recved = 0;
    let npauses = 0;
    let totalLength = 0;

    const server: any = net.createServer(
      t.mustCallAtLeast((connection: any) => {
        const body = 'C'.repeat(1024);
        let n = 1;
        while (connection.write(body)) {
          n++;
        }
        // Now that we're throttled, do some more writes to make sure the data isn't
        // lost.
        connection.write(body);
        connection.write(body);
        n += 2;
        totalLength = n * body.length;
        assert.ok(connection.bufferSize >= 0, `bufferSize: ${connection.bufferSize}`);
        assert.ok(
          connection.writableLength <= totalLength,
          `writableLength: ${connection.writableLength}, totalLength: ${totalLength}`,
        );
        connection.end();
      }),
    );

    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const port = server.address().port;
        let paused = false;
        const client: any = net.createConnection(port, HOST);
        client.setEncoding('ascii');
        client.on(
          'data',
          t.mustCallAtLeast((d: string) => {
            chars_recved += d.length;
            if (!paused) {
              client.pause();
              npauses += 1;
              paused = true;
              const x = chars_recved;
              setTimeout(
                t.mustCall(() => {
                  assert.strictEqual(chars_recved, x);
                  client.resume();
                  paused = false;
                }),
                100,
              );
            }
          }),
        );

        client.on('end', () => {
          server.close(() => t.done());
          client.end();
        });
      }),
    );
    // Node's process waits for the last pause's 100 ms timer, which may still be pending at 'end'.
    await t.end(200);
    // process.on('exit')
    assert.strictEqual(chars_recved, totalLength);
    assert.ok(npauses > 1, `${npauses} > 1`);
  }, 15000);
}
