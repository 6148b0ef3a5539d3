// Port of node/test/parallel/test-net-socket-timeout.js: the backend's createServer/createSocket/connect (t.net) for net.Server/new net.Socket/net.createConnection.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest, portOf } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-socket-timeout', async () => {
    const t = current();
    const net = t.net;
    // Verify that invalid delays throw
    const s = new net.Socket();
    const nonNumericDelays: unknown[] = ['100', true, false, undefined, null, '', {}, () => {}, []];
    const badRangeDelays = [-0.001, -1, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, Number.NaN];
    const validDelays = [0, 0.001, 1, 1e6];
    const invalidCallbacks: unknown[] = [1, '100', true, false, null, {}, [], Symbol('test')];
    for (const d of nonNumericDelays) {
      assert.throws(
        () => {
          s.setTimeout(d as number, () => {});
        },
        { code: 'ERR_INVALID_ARG_TYPE' },
        String(d),
      );
    }
    for (const d of badRangeDelays) {
      assert.throws(
        () => {
          s.setTimeout(d, () => {});
        },
        { code: 'ERR_OUT_OF_RANGE' },
        String(d),
      );
    }
    for (const d of validDelays) s.setTimeout(d, () => {});
    for (const cb of invalidCallbacks) {
      for (const mesc of [0, 1]) {
        assert.throws(() => s.setTimeout(mesc, cb as () => void), {
          code: 'ERR_INVALID_ARG_TYPE',
          name: 'TypeError',
        });
      }
    }
    const server = net.Server();
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const socket = net.createConnection(portOf(server), HOST);
        socket.on('error', () => {});
        assert.strictEqual(
          socket.setTimeout(
            1,
            t.mustCall(() => {
              socket.destroy();
              assert.strictEqual(socket.setTimeout(1, t.mustNotCall()), socket);
              server.close();
              t.done();
            }),
          ),
          socket,
        );
      }),
    );
    await t.end();
  }, 5000);
}
