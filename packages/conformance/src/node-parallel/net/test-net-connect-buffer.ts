// Port of node/test/parallel/test-net-connect-buffer.js (Node's current copy; the oldest stored copy's write-type checks moved to test-net-write-arguments): the backend's createServer/Socket (t.net) for net.Server/net.Stream, on 127.0.0.1.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-connect-buffer', async () => {
    const t = current();
    const net = t.net;
    const tcp: any = net.Server(
      t.mustCall((s: any) => {
        tcp.close();

        let buf = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => {
          buf += d;
        });

        s.on(
          'end',
          t.mustCall(() => {
            assert.strictEqual(buf, "L'État, c'est moi");
            s.end();
          }),
        );
      }),
    );

    tcp.listen(
      0,
      HOST,
      t.mustCall(function (this: any) {
        const socket: any = new net.Stream({ highWaterMark: 0 });

        let connected = false;
        assert.strictEqual(socket.pending, true);
        socket.connect(
          this.address().port,
          HOST,
          t.mustCall(() => {
            connected = true;
          }),
        );

        assert.strictEqual(socket.pending, true);
        assert.strictEqual(socket.connecting, true);
        assert.strictEqual(socket.readyState, 'opening');

        // Write a string that contains a multi-byte character sequence to test that
        // `bytesWritten` is incremented with the # of bytes, not # of characters.
        const a = "L'État, c'est ";
        const b = 'moi';

        // We're still connecting at this point so the datagram is first pushed onto
        // the connect queue. Make sure that it's not added to `bytesWritten` again
        // when the actual write happens.
        const r = socket.write(
          a,
          t.mustCall(() => {
            assert.ok(connected);
            assert.strictEqual(socket.bytesWritten, Buffer.from(a + b).length);
            assert.strictEqual(socket.pending, false);
          }),
        );
        socket.on(
          'close',
          t.mustCall(() => {
            assert.strictEqual(socket.pending, true);
            t.done();
          }),
        );

        assert.strictEqual(socket.bytesWritten, Buffer.from(a).length);
        assert.strictEqual(r, false);
        socket.end(b);

        assert.strictEqual(socket.readyState, 'opening');
      }),
    );
    await t.end();
  }, 3000);
}
