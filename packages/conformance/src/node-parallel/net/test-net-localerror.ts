// Port of node/test/parallel/test-net-localerror.js: the backend's connect (t.net) for net.connect; common.expectsError(fn, { code, type }) is assert.throws(fn, { code, name }) (its current form in Node's test); 127.0.0.1 for 'localhost'. ERR_INVALID_IP_ADDRESS is a TypeError, as in Node's current test (the stored copy's Error fails on Node 20 and 24 themselves).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-localerror', () => {
    const t = current();
    const net = t.net;
    const connect = (opts: object, code: string, type: ErrorConstructor | TypeErrorConstructor) =>
      assert.throws(() => net.connect(opts), { code, name: type.name });

    connect(
      {
        host: HOST,
        port: 0,
        localAddress: 'foobar',
      },
      'ERR_INVALID_IP_ADDRESS',
      TypeError,
    );

    connect(
      {
        host: HOST,
        port: 0,
        localPort: 'foobar',
      },
      'ERR_INVALID_ARG_TYPE',
      TypeError,
    );
  });
}
