import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { SIM_CHANNELS } from '../diagnostics.js';
import { IdentityScope } from './identity.js';

const self = { sid: 'S-1-5-21-1-2-3-1001', name: 'SERVER$', domain: 'CONTOSO' };
const alice = { sid: 'S-1-5-21-1-2-3-1002', name: 'alice', domain: 'CONTOSO' };
const bob = { sid: 'S-1-5-21-1-2-3-1003', name: 'bob', domain: 'CONTOSO' };

describe('IdentityScope', () => {
  it('is itself outside, the peer inside, and itself again after a throw', () => {
    const scope = new IdentityScope(self);
    expect(scope.current()).toEqual(self);
    expect(scope.run(alice, () => scope.current())).toEqual(alice);
    expect(() =>
      scope.run(alice, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(scope.current()).toEqual(self);
    expect(scope.impersonating).toBe(false);
  });

  it('nests, and two scopes of two backends never mix', () => {
    const a = new IdentityScope(self);
    const b = new IdentityScope({ ...self, name: 'CLIENT$' });
    const seen = a.run(alice, () => [
      a.current().name,
      b.current().name,
      a.run(bob, () => a.current().name),
      a.current().name,
    ]);
    expect(seen).toEqual(['alice', 'CLIENT$', 'bob', 'alice']);
  });

  it('async continuations started inside run as self, even while another scope is active', async () => {
    const scope = new IdentityScope(self);
    let inner: Promise<string | undefined> = Promise.resolve(undefined);
    scope.run(alice, () => {
      inner = new Promise((r) => setImmediate(() => r(scope.current().name)));
    });
    const during = scope.run(bob, () => scope.current().name);
    expect(during).toBe('bob');
    expect(await inner).toBe('SERVER$');
  });

  it('publishes begin and end with SIDs only', () => {
    const seen: unknown[] = [];
    const listener = (m: unknown) => seen.push(m);
    subscribe(SIM_CHANNELS.impersonationBegin, listener);
    subscribe(SIM_CHANNELS.impersonationEnd, listener);
    try {
      new IdentityScope(self).run(alice, () => 1);
    } finally {
      unsubscribe(SIM_CHANNELS.impersonationBegin, listener);
      unsubscribe(SIM_CHANNELS.impersonationEnd, listener);
    }
    expect(seen).toEqual([
      { sid: alice.sid, name: 'alice' },
      { sid: alice.sid, name: 'alice' },
    ]);
  });
});
