// Port of node/test/parallel/test-net-connect-no-arg.js: the backend's connect/createSocket (t.net) for net.connect/new net.Socket().
import assert from 'node:assert';
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-connect-no-arg', async () => {
    const t = current();
    const net = t.net;
    // Tests that net.connect() called without arguments throws ERR_MISSING_ARGS.

    assert.throws(
      () => {
        net.connect();
      },
      {
        code: 'ERR_MISSING_ARGS',
        message: 'The "options" or "port" or "path" argument must be specified',
      },
    );

    assert.throws(
      () => {
        (new net.Socket().connect as any)();
      },
      {
        code: 'ERR_MISSING_ARGS',
        message: 'The "options" or "port" or "path" argument must be specified',
      },
    );

    assert.throws(
      () => {
        net.connect({});
      },
      {
        code: 'ERR_MISSING_ARGS',
        message: 'The "options" or "port" or "path" argument must be specified',
      },
    );

    assert.throws(
      () => {
        new net.Socket().connect({} as any);
      },
      {
        code: 'ERR_MISSING_ARGS',
        message: 'The "options" or "port" or "path" argument must be specified',
      },
    );
    t.done();
    await t.end();
  }, 3000);
}
