// Port of node/test/parallel/test-net-pingpong.js (Node's current copy): the backend's createServer/connect (t.net) for net.createServer/net.createConnection. The pipe run (common.PIPE) is left out (no pipes); the other two, port 0 without a host and on '::1' or 127.0.0.1, both run on 127.0.0.1, at once as in Node.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-pingpong', async () => {
    const t = current();
    const net = t.net;
    let finished = 0;

    function pingPongTest(port: number, host: string) {
      const N = 1000;
      let count = 0;
      let sentPongs = 0;
      let sent_final_ping = false;

      const server: any = net.createServer({ allowHalfOpen: true }, t.mustCall(onSocket));

      function onSocket(socket: any) {
        assert.strictEqual(socket.server, server);
        assert.strictEqual(
          server,
          server.getConnections(
            t.mustSucceed((connections: number) => {
              assert.strictEqual(connections, 1);
            }),
          ),
        );

        socket.setNoDelay();
        socket.timeout = 0;

        socket.setEncoding('utf8');
        socket.on(
          'data',
          t.mustCall((data: string) => {
            // Since we never queue data (we're always waiting for the PING
            // before sending a pong) the writeQueueSize should always be less
            // than one message.
            assert.ok(socket.bufferSize >= 0 && socket.bufferSize <= 4);

            assert.strictEqual(socket.writable, true);
            assert.strictEqual(socket.readable, true);
            assert.ok(count <= N);
            assert.strictEqual(data, 'PING');

            socket.write(
              'PONG',
              t.mustCall(() => {
                sentPongs++;
              }),
            );
          }, N + 1),
        );

        socket.on(
          'end',
          t.mustCall(() => {
            assert.strictEqual(socket.allowHalfOpen, true);
            assert.strictEqual(socket.writable, true); // Because allowHalfOpen
            assert.strictEqual(socket.readable, false);
            socket.end();
          }),
        );

        socket.on('error', t.mustNotCall());

        socket.on(
          'close',
          t.mustCall(() => {
            assert.strictEqual(socket.writable, false);
            assert.strictEqual(socket.readable, false);
            socket.server.close();
          }),
        );
      }

      server.listen(
        port,
        host,
        t.mustCall(function (this: any) {
          if (this.address().port) port = this.address().port;

          const client: any = net.createConnection(port, host);

          client.setEncoding('ascii');
          client.on(
            'connect',
            t.mustCall(() => {
              assert.strictEqual(client.readable, true);
              assert.strictEqual(client.writable, true);
              client.write('PING');
            }),
          );

          client.on(
            'data',
            t.mustCall((data: string) => {
              assert.strictEqual(data, 'PONG');
              count += 1;

              if (sent_final_ping) {
                assert.strictEqual(client.writable, false);
                assert.strictEqual(client.readable, true);
                return;
              }
              assert.strictEqual(client.writable, true);
              assert.strictEqual(client.readable, true);

              if (count < N) {
                client.write('PING');
              } else {
                sent_final_ping = true;
                client.write('PING');
                client.end();
              }
            }, N + 1),
          );

          client.on(
            'close',
            t.mustCall(() => {
              assert.strictEqual(count, N + 1);
              assert.strictEqual(sentPongs, N + 1);
              assert.strictEqual(sent_final_ping, true);
              if (++finished === 2) t.done();
            }),
          );

          client.on('error', t.mustNotCall());
        }),
      );
    }

    /* All are run at once, so run on different ports */
    pingPongTest(0, HOST);
    pingPongTest(0, HOST);
    await t.end();
    // The bound only guards against a hang: 2 × 1,001 round trips take about 2 s on native-win
    // under Wine and over 5 s there when both CPUs of the machine are busy.
  }, 20000);
}
