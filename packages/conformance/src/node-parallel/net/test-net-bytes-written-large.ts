// Port of node/test/parallel/test-net-bytes-written-large.js: the backend's createServer/connect (t.net) for net.createServer/net.connect, on 127.0.0.1. Node runs the three variants at once in one process; here they are three cases.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  const N = 10000000;

  it('test-net-bytes-written-large > Variant 1: Write a Buffer', async () => {
    const t = current();
    const net = t.net;
    const server: any = net
      .createServer(
        t.mustCall((socket: any) => {
          socket.end(
            Buffer.alloc(N),
            t.mustCall(() => {
              assert.strictEqual(socket.bytesWritten, N);
            }),
          );
          assert.strictEqual(socket.bytesWritten, N);
        }),
      )
      .listen(
        0,
        HOST,
        t.mustCall(() => {
          const client: any = net.connect(server.address().port, HOST);
          client.resume();
          client.on(
            'close',
            t.mustCall(() => {
              assert.strictEqual(client.bytesRead, N);
              server.close(() => t.done());
            }),
          );
        }),
      );
    await t.end();
  }, 20000);

  it('test-net-bytes-written-large > Variant 2: Write a string', async () => {
    const t = current();
    const net = t.net;
    const server: any = net
      .createServer(
        t.mustCall((socket: any) => {
          socket.end(
            'a'.repeat(N),
            t.mustCall(() => {
              assert.strictEqual(socket.bytesWritten, N);
            }),
          );
          assert.strictEqual(socket.bytesWritten, N);
        }),
      )
      .listen(
        0,
        HOST,
        t.mustCall(() => {
          const client: any = net.connect(server.address().port, HOST);
          client.resume();
          client.on(
            'close',
            t.mustCall(() => {
              assert.strictEqual(client.bytesRead, N);
              server.close(() => t.done());
            }),
          );
        }),
      );
    await t.end();
  }, 20000);

  it('test-net-bytes-written-large > Variant 2: writev() with mixed data', async () => {
    const t = current();
    const net = t.net;
    const server: any = net
      .createServer(
        t.mustCall((socket: any) => {
          socket.cork();
          socket.write('a'.repeat(N));
          assert.strictEqual(socket.bytesWritten, N);
          socket.write(Buffer.alloc(N));
          assert.strictEqual(socket.bytesWritten, 2 * N);
          socket.end(
            '',
            t.mustCall(() => {
              assert.strictEqual(socket.bytesWritten, 2 * N);
            }),
          );
          socket.uncork();
        }),
      )
      .listen(
        0,
        HOST,
        t.mustCall(() => {
          const client: any = net.connect(server.address().port, HOST);
          client.resume();
          client.on(
            'close',
            t.mustCall(() => {
              assert.strictEqual(client.bytesRead, 2 * N);
              server.close(() => t.done());
            }),
          );
        }),
      );
    await t.end();
  }, 20000);
}
