// Port of node/test/parallel/test-net-listen-invalid-port.js: the backend's createServer (t.net) for net.Server(); the first server listens on 127.0.0.1 (Node's on any address). As Node's test since Node 18, the key takes the family's digit (address.family is 'IPv4'; the stored copy, older, fails on Node 20 and 24 themselves).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-listen-invalid-port', async () => {
    const t = current();
    const net = t.net;
    // This test ensures that port numbers are validated in *all* kinds of `listen`
    // calls. If an invalid port is supplied, ensures a `RangeError` is thrown.
    // https://github.com/nodejs/node/issues/5727

    const invalidPort = -1 >>> 0;

    (net.Server() as any).listen(
      0,
      HOST,
      t.mustCall(function (this: any) {
        const address = this.address();
        const key = `${address.family.slice(-1)}:${address.address}:0`;

        assert.strictEqual(this._connectionKey, key);
        this.close(() => t.done());
      }),
    );

    // The first argument is a configuration object
    assert.throws(
      () => {
        (net.Server() as any).listen({ port: invalidPort }, t.mustNotCall());
      },
      {
        code: 'ERR_SOCKET_BAD_PORT',
        name: 'RangeError',
      },
    );

    // The first argument is the port, no IP given.
    assert.throws(
      () => {
        (net.Server() as any).listen(invalidPort, t.mustNotCall());
      },
      {
        code: 'ERR_SOCKET_BAD_PORT',
        name: 'RangeError',
      },
    );

    // The first argument is the port, the second an IP.
    assert.throws(
      () => {
        (net.Server() as any).listen(invalidPort, '0.0.0.0', t.mustNotCall());
      },
      {
        code: 'ERR_SOCKET_BAD_PORT',
        name: 'RangeError',
      },
    );
    await t.end();
  }, 3000);
}
