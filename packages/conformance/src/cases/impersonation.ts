import { type Principal, type SecureSocket, TOKEN_QUERY } from '@wsasec/core';
import { expect } from 'vitest';
import { expectThrows, tick } from '../run/helpers.js';
import { group } from './shared.js';

/** The SID impersonating `socket`'s peer must yield: the peer user, else the peer machine. */
function peerSid(socket: SecureSocket): string {
  using info = socket.querySecurity({ tokenAccess: TOKEN_QUERY });
  const token = info.peerApplicationToken ?? info.peerMachineToken;
  if (!token) throw new Error('querySecurity({ tokenAccess }) returned no peer token');
  return token.user.sid;
}

const SID_RE = /^S-1-\d+(-\d+)+$/;
const { list, add } = group('impersonation');

add('currentIdentity outside any scope is the backend itself, with a SID', [], (ctx) => {
  for (const backend of [ctx.client, ctx.server]) {
    const self: Principal = backend.currentIdentity();
    expect(self.sid).toMatch(SID_RE);
    expect(backend.currentIdentity()).toEqual(self);
  }
});

add(
  'inside impersonatePeer the server acts as the client (user, else machine)',
  ['network', 'tokens', 'impersonation'],
  async (ctx) => {
    const { accepted } = await ctx.pair();
    const self = ctx.server.currentIdentity();
    const inside = accepted.impersonatePeer(() => ctx.server.currentIdentity());
    expect(inside.sid).toBe(peerSid(accepted));
    expect(inside.sid).not.toBe(self.sid);
    const user = ctx.fixture.expected?.clientUser;
    if (user !== undefined) expect(inside.name?.toLowerCase()).toBe(user.toLowerCase());
    expect(ctx.server.currentIdentity()).toEqual(self);
  },
);

add(
  'inside impersonatePeer the client acts as the server (user, else machine)',
  ['network', 'tokens', 'impersonation'],
  async (ctx) => {
    const { client } = await ctx.pair();
    const self = ctx.client.currentIdentity();
    const inside = client.impersonatePeer(() => ctx.client.currentIdentity());
    expect(inside.sid).toBe(peerSid(client));
    expect(ctx.client.currentIdentity()).toEqual(self);
  },
);

add('impersonatePeer returns what the callback returns', ['network', 'impersonation'], async (ctx) => {
  const { accepted } = await ctx.pair();
  const value = { answer: 42 };
  expect(accepted.impersonatePeer(() => value)).toBe(value);
  expect(accepted.impersonatePeer(() => undefined)).toBeUndefined();
});

add('nested impersonation restores the outer scope, then self', ['network', 'impersonation'], async (ctx) => {
  const { accepted } = await ctx.pair();
  const self = ctx.server.currentIdentity();
  const seen: string[] = [];
  accepted.impersonatePeer(() => {
    const outer = ctx.server.currentIdentity().sid;
    seen.push(outer);
    accepted.impersonatePeer(() => seen.push(ctx.server.currentIdentity().sid));
    seen.push(ctx.server.currentIdentity().sid);
    expect(seen.every((sid) => sid === outer)).toBe(true);
  });
  expect(seen[0]).not.toBe(self.sid);
  expect(ctx.server.currentIdentity()).toEqual(self);
});

add(
  'a throw inside impersonatePeer reverts and rethrows the same error',
  ['network', 'impersonation'],
  async (ctx) => {
    const { accepted } = await ctx.pair();
    const self = ctx.server.currentIdentity();
    const boom = new Error('boom inside the scope');
    let inside: Principal | undefined;
    let caught: unknown;
    try {
      accepted.impersonatePeer(() => {
        inside = ctx.server.currentIdentity();
        throw boom;
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(boom);
    expect(inside?.sid).not.toBe(self.sid);
    expect(ctx.server.currentIdentity()).toEqual(self);
  },
);

add(
  'revertImpersonation inside the scope returns to self; outside it does nothing',
  ['network', 'impersonation'],
  async (ctx) => {
    const { accepted } = await ctx.pair();
    const self = ctx.server.currentIdentity();
    ctx.server.revertImpersonation();
    expect(ctx.server.currentIdentity()).toEqual(self);
    accepted.impersonatePeer(() => {
      expect(ctx.server.currentIdentity().sid).not.toBe(self.sid);
      ctx.server.revertImpersonation();
      expect(ctx.server.currentIdentity()).toEqual(self);
    });
    expect(ctx.server.currentIdentity()).toEqual(self);
  },
);

add(
  'an async callback is refused with ERR_WSASEC_ASYNC_IMPERSONATION, after reverting',
  ['network', 'impersonation'],
  async (ctx) => {
    const { accepted } = await ctx.pair();
    const self = ctx.server.currentIdentity();
    let after: Principal | undefined;
    expectThrows(
      () =>
        accepted.impersonatePeer(async () => {
          await tick();
          after = ctx.server.currentIdentity();
        }),
      'ERR_WSASEC_ASYNC_IMPERSONATION',
    );
    expect(ctx.server.currentIdentity()).toEqual(self);
    await tick();
    await tick();
    // The code after the await runs as self: the scope had ended.
    expect(after).toEqual(self);
  },
);

add('a thenable returned by the callback is refused too', ['network', 'impersonation'], async (ctx) => {
  const { accepted } = await ctx.pair();
  const self = ctx.server.currentIdentity();
  // biome-ignore lint/suspicious/noThenProperty: a thenable is exactly what this case returns
  const thenable = { then: (resolve: (v: number) => void) => resolve(1) };
  expectThrows(() => accepted.impersonatePeer(() => thenable), 'ERR_WSASEC_ASYNC_IMPERSONATION');
  expect(ctx.server.currentIdentity()).toEqual(self);
});

add('a rejecting async callback causes no unhandled rejection', ['network', 'impersonation'], async (ctx) => {
  const { accepted } = await ctx.pair();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    expectThrows(
      () =>
        accepted.impersonatePeer(async () => {
          throw new Error('rejected inside an impersonation callback');
        }),
      'ERR_WSASEC_ASYNC_IMPERSONATION',
    );
    for (let i = 0; i < 3; i++) await tick();
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  expect(unhandled).toEqual([]);
});

add('impersonatePeer on a clear-text connection runs nothing', ['network', 'allowInsecure'], async (ctx) => {
  const plain = await ctx.plainServer();
  const client = await ctx.connect(
    { port: plain.port },
    { client: { allowInsecure: true }, peerTargetName: null },
  );
  const self = ctx.client.currentIdentity();
  let ran = false;
  expectThrows(() =>
    client.impersonatePeer(() => {
      ran = true;
    }),
  );
  expect(ran).toBe(false);
  expect(ctx.client.currentIdentity()).toEqual(self);
});

/** Who the code acts as inside, after and around `impersonatePeer`. */
export const IMPERSONATION_CASES = list;
