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

  it('setTimeout with a callback that is not a function is refused and changes nothing', () => {
    const backend = createSimBackend({ realm: contosoRealm(), machine: 'client.contoso.com' });
    const socket = backend.createSocket();
    for (const callback of [' ', 42, {}, null])
      expect(code(() => socket.setTimeout(10, callback as never))).toBe('ERR_WSASEC_INVALID_ARGUMENT');
    expect(socket.listenerCount('timeout')).toBe(0);
    socket.destroy();
    const raw = new SimSocket();
    expect(code(() => raw.setTimeout(0, 'x' as never))).toBe('ERR_WSASEC_INVALID_ARGUMENT');
    raw.destroy();
  });

  it('setKeepAlive and setTimeout refuse delays that are not numbers ≥ 0, whatever their shape', () => {
    const backend = createSimBackend({ realm: contosoRealm(), machine: 'client.contoso.com' });
    const socket = backend.createSocket();
    const odd = Object.create(null);
    expect(code(() => socket.setTimeout(odd))).toBe('ERR_WSASEC_INVALID_ARGUMENT');
    expect(code(() => socket.setKeepAlive(true, odd))).toBe('ERR_WSASEC_INVALID_ARGUMENT');
    expect(code(() => socket.setKeepAlive(true, -1))).toBe('ERR_WSASEC_INVALID_ARGUMENT');
    // As net.Socket: any value turns keep-alive on or off by its truthiness.
    expect(code(() => socket.setKeepAlive(odd))).toBeUndefined();
    expect(code(() => socket.setKeepAlive(true, 1000))).toBeUndefined();
    expect(code(() => socket.setKeepAlive())).toBeUndefined();
    socket.destroy();
  });

  it('createBackendFromEnv without an environment object is refused with ERR_WSASEC_INVALID_ARGUMENT', async () => {
    for (const env of [undefined, null, 42, 'WSASEC_SIM_REALM=x'])
      await expect(createBackendFromEnv(env as never)).rejects.toMatchObject({
        code: 'ERR_WSASEC_INVALID_ARGUMENT',
      });
  });
});
