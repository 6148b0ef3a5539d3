// Port of node/test/parallel/test-net-write-arguments.js: the backend's createSocket (t.net) for net.Stream({ highWaterMark: 0 }); common.invalidArgTypeHelper as in Node's test/common. The chunk's message names 'Buffer, TypedArray, or DataView', as Node 20 and 24 word it and Node's current test checks it (the stored copy's 'Buffer or Uint8Array' fails on them).
import assert from 'node:assert';
import { inspect } from 'node:util';
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

/** test/common's invalidArgTypeHelper: the "Received …" tail of Node's ERR_INVALID_ARG_TYPE messages. */
function invalidArgTypeHelper(input: unknown): string {
  if (input == null) {
    return ` Received ${input}`;
  }
  if (typeof input === 'function') {
    return ` Received function ${input.name}`;
  }
  if (typeof input === 'object') {
    if (input.constructor?.name) {
      return ` Received an instance of ${input.constructor.name}`;
    }
    return ` Received ${inspect(input, { depth: -1 })}`;
  }
  let inspected = inspect(input, { colors: false });
  if (inspected.length > 28) {
    inspected = `${inspected.slice(0, 25)}...`;
  }
  return ` Received type ${typeof input} (${inspected})`;
}

export default function register(current: () => NodeNetTest): void {
  it('test-net-write-arguments', () => {
    const t = current();
    const net = t.net;
    const socket: any = (net.Stream as unknown as (options: object) => any)({ highWaterMark: 0 });

    // Make sure that anything besides a buffer or a string throws.
    socket.on('error', t.mustNotCall());
    assert.throws(
      () => {
        socket.write(null);
      },
      {
        code: 'ERR_STREAM_NULL_VALUES',
        name: 'TypeError',
        message: 'May not write null values to stream',
      },
    );

    for (const value of [true, false, undefined, 1, 1.0, +Infinity, -Infinity, [], {}]) {
      // We need to check the callback since 'error' will only
      // be emitted once per instance.
      assert.throws(
        () => {
          socket.write(value);
        },
        {
          code: 'ERR_INVALID_ARG_TYPE',
          name: 'TypeError',
          message:
            'The "chunk" argument must be of type string or an instance of ' +
            `Buffer, TypedArray, or DataView.${invalidArgTypeHelper(value)}`,
        },
      );
    }
  });
}
