// Port of node/test/parallel/test-net-reconnect.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1; the process 'exit' checks run when the test ends.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  // known: kept (the contract, as test-net-bytes-stats): the client connects again after its 'close'; a secured socket is single-use, so core guards/socket.ts connect throws 'WSAConnect: the socket is closed' (live(), WSAENOTSOCK) from the 'close' listener
  it.fails('test-net-reconnect', async () => {
    const t = current();
    const net = t.net;
    const N = 50;
    let client_recv_count = 0;
    let client_end_count = 0;
    let disconnect_count = 0;

    const server: any = net.createServer(
      t.guard((socket: any) => {
        socket.resume();

        socket.write('hello\r\n');

        socket.on('end', () => {
          socket.end();
        });

        socket.on(
          'close',
          t.guard((had_error: boolean) => {
            assert.equal(false, had_error);
          }),
        );
      }),
    );

    server.listen(0, HOST, function (this: any) {
      const client: any = net.createConnection(this.address().port, HOST);

      client.setEncoding('UTF8');

      client.on('connect', () => {});

      client.on(
        'data',
        t.guard((chunk: string) => {
          client_recv_count += 1;
          assert.equal('hello\r\n', chunk);
          client.end();
        }),
      );

      client.on('end', () => {
        client_end_count++;
      });

      client.on(
        'close',
        t.guard((had_error: boolean) => {
          assert.equal(false, had_error);
          if (disconnect_count++ < N)
            client.connect(server.address().port, HOST); // reconnect
          else server.close(() => t.done());
        }),
      );
    });
    await t.end();
    assert.equal(N + 1, disconnect_count);
    assert.equal(N + 1, client_recv_count);
    assert.equal(N + 1, client_end_count);
  }, 8000);
}
