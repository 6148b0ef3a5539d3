// Port of node/test/parallel/test-net-server-pause-on-connect.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-server-pause-on-connect', async () => {
    const t = current();
    const net = t.net;
    const msg = 'test';
    let stopped = true;
    let server1Sock: any;

    const server1ConnHandler = (socket: any) => {
      socket.on(
        'data',
        t.guard((data: Buffer) => {
          if (stopped) {
            assert.fail('data event should not have happened yet');
          }

          assert.strictEqual(data.toString(), msg);
          socket.end();
          server1.close(() => t.done());
        }),
      );

      server1Sock = socket;
    };

    const server1: any = net.createServer({ pauseOnConnect: true }, server1ConnHandler);

    const server2ConnHandler = (socket: any) => {
      socket.on(
        'data',
        t.guard((data: Buffer) => {
          assert.strictEqual(data.toString(), msg);
          socket.end();
          server2.close();

          assert.strictEqual(server1Sock.bytesRead, 0);
          server1Sock.resume();
          stopped = false;
        }),
      );
    };

    const server2: any = net.createServer({ pauseOnConnect: false }, server2ConnHandler);

    server1.listen(0, HOST, function (this: any) {
      const clientHandler = t.mustCall(() => {
        server2.listen(0, HOST, function (this: any) {
          net.createConnection({ port: this.address().port, host: HOST }).write(msg);
        });
      });
      net.createConnection({ port: this.address().port, host: HOST }).write(msg, clientHandler);
    });
    await t.end();
    // process.on('exit')
    assert.strictEqual(stopped, false);
  }, 3000);
}
