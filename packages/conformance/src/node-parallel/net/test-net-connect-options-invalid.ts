// Port of node/test/parallel/test-net-connect-options-invalid.js: the backend's connect (t.net) for net.createConnection, the options given to the socket factory as net.createConnection gives them to net.Socket.
import assert from 'node:assert';
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-connect-options-invalid', () => {
    const t = current();
    const net = t.net;
    const invalidKeys = ['objectMode', 'readableObjectMode', 'writableObjectMode'];
    for (const invalidKey of invalidKeys) {
      const option = {
        port: 8080,
        [invalidKey]: true,
      };

      assert.throws(
        () => {
          net.createConnection(option);
        },
        {
          code: 'ERR_INVALID_ARG_VALUE',
          name: 'TypeError',
        },
      );
    }
  });
}
