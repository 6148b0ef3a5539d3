import * as net from 'node:net';
import { SecureSocketError } from '@wsasec/core';
import { describe, expect, it } from 'vitest';
import { createBackendFromEnv, createSimBackend, SimRealm, SimSocket } from '../../src/index.js';
import { contosoRealm } from '../support/fixture.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return SecureSocketError.isInstance(error) ? error.code : `not a SecureSocketError: ${String(error)}`;
  }
  return undefined;
}

describe('bad input found by the fuzz suite', () => {
  it('a realm file created at the epoch loads (its certificates start at 0, not before it)', () => {
    const json = { ...contosoRealm().toJSON(), created: '0' };
    const realm = SimRealm.fromJSON(json);
    expect(realm.lookup('server.contoso.com')?.name).toBe('SERVER$');
  });

  it('new SimRealm() with anything but realm state is refused with ERR_WSASEC_INVALID_ARGUMENT', () => {
    for (const state of [undefined, null, 42, 'x', {}, { accounts: [] }, []])
      expect(code(() => new SimRealm(state as never))).toBe('ERR_WSASEC_INVALID_ARGUMENT');
  });

  it('getPolicy with a key that is not a string is refused with ERR_WSASEC_INVALID_ARGUMENT', () => {
    const realm = contosoRealm();
    for (const key of [undefined, null, 42, {}, Symbol('k')])
      expect(code(() => realm.getPolicy(key as never))).toBe('ERR_WSASEC_INVALID_ARGUMENT');
    expect(realm.getPolicy('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('setTimeout with a callback that is not a function is refused as net refuses it and changes nothing', () => {
    const backend = createSimBackend({ realm: contosoRealm(), machine: 'client.contoso.com' });
    const socket = backend.createSocket();
    for (const callback of [' ', 42, {}, null])
      expect(code(() => socket.setTimeout(10, callback as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(socket.listenerCount('timeout')).toBe(0);
    socket.destroy();
    const raw = new SimSocket();
    expect(code(() => raw.setTimeout(0, 'x' as never))).toBe('ERR_INVALID_ARG_TYPE');
    raw.destroy();
  });

  it('setTimeout refuses what net.Socket.setTimeout refuses, with the same code, name and message', () => {
    const backend = createSimBackend({ realm: contosoRealm(), machine: 'client.contoso.com' });
    const socket = backend.createSocket();
    const plain = new net.Socket();
    const delays: unknown[] = [
      '100',
      "it's",
      'a string longer than twenty-eight characters',
      '',
      true,
      undefined,
      null,
      {},
      [],
      Object.create(null),
      () => {},
      function named() {},
      1n,
      Symbol('s'),
      -0.001,
      -1,
      -(2 ** 33),
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.NaN,
    ];
    const callbacks: unknown[] = [1, '100', null, {}, Symbol('t')];
    const outcome = (fn: () => unknown) => {
      try {
        fn();
        return 'no error';
      } catch (error) {
        const e = error as { name: string; code: string; message: string };
        return `${e.name} ${e.code} ${e.message}`;
      }
    };
    for (const d of delays) {
      const expected = outcome(() => plain.setTimeout(d as number, () => {}));
      expect(expected).not.toBe('no error');
      expect(outcome(() => socket.setTimeout(d as number, () => {}))).toBe(expected);
    }
    for (const cb of callbacks) {
      const expected = outcome(() => plain.setTimeout(1, cb as () => void));
      expect(expected).not.toBe('no error');
      expect(outcome(() => socket.setTimeout(1, cb as () => void))).toBe(expected);
    }
    expect(socket.listenerCount('timeout')).toBe(0);
    // As net: a destroyed socket ignores setTimeout, whatever its arguments.
    plain.destroy();
    socket.destroy();
    expect(outcome(() => plain.setTimeout('x' as never))).toBe('no error');
    expect(outcome(() => socket.setTimeout('x' as never))).toBe('no error');
  });

  it('createBackendFromEnv without an environment object is refused with ERR_WSASEC_INVALID_ARGUMENT', async () => {
    for (const env of [undefined, null, 42, 'WSASEC_SIM_REALM=x'])
      await expect(createBackendFromEnv(env as never)).rejects.toMatchObject({
        code: 'ERR_WSASEC_INVALID_ARGUMENT',
      });
  });
});
