import { type SecuritySettings, TOKEN_QUERY } from '@wsasec/core';
import { expect } from 'vitest';
import type { CaseContext } from '../run/context.js';
import { connectSocket, expectRejects, readBytes, readToEnd, tick, within } from '../run/helpers.js';
import { group } from './shared.js';

const { list, add } = group('clear text and fail-closed');
const SECRET = 'SECRET-PAYLOAD-7f3a9c';
/** Bounds the negotiation against a peer that never answers it. */
const CONNECT_TIMEOUT_MS = 3_000;

/** A connect to a peer without security that must fail without a byte of `SECRET` leaving in clear. */
async function expectFailsClosed(ctx: CaseContext, security: SecuritySettings | undefined) {
  const plain = await ctx.plainServer();
  const socket = ctx.socket();
  socket.setSecurity(security);
  // Written before connect: a backend must hold it, and drop it when the connect fails.
  socket.write(SECRET);
  await expectRejects(
    connectSocket(socket, {
      host: '127.0.0.1',
      port: plain.port,
      signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS),
    }),
    [],
    'the connect to a peer without security to fail',
  );
  expect(socket.destroyed).toBe(true);
  await plain.settled();
  expect(plain.received().includes(SECRET), 'the secret reached the peer in clear text').toBe(false);
}

add(
  'allowInsecure falls back to clear text against a peer without security',
  ['network', 'allowInsecure'],
  async (ctx) => {
    const plain = await ctx.plainServer();
    const client = await ctx.connect(
      { port: plain.port },
      { client: { allowInsecure: true }, peerTargetName: null },
    );
    {
      using info = client.querySecurity({ tokenAccess: TOKEN_QUERY });
      expect(info.flags).toBe(0);
      expect(info.secured).toBe(false);
      expect(info.encrypted).toBe(false);
      expect(info.protocol).toBe('default');
      expect(info.peerApplicationToken, 'no tokens: nobody was authenticated').toBeUndefined();
      expect(info.peerMachineToken, 'no tokens: nobody was authenticated').toBeUndefined();
    }
    client.write('hello in clear');
    await readUntil(() => plain.received().toString() === 'hello in clear');
    plain.broadcast('reply in clear');
    expect((await readBytes(client, 14)).toString()).toBe('reply in clear');
  },
);

add(
  'without allowInsecure, a peer without security gets no connection and no data',
  ['network'],
  async (ctx) => {
    await expectFailsClosed(ctx, undefined);
  },
);

add(
  'guaranteeEncryption never falls back to clear text, even with allowInsecure',
  ['network'],
  async (ctx) => {
    await expectFailsClosed(ctx, { guaranteeEncryption: true, allowInsecure: true });
  },
);

add(
  'a server with allowInsecure accepts a peer without security in clear',
  ['network', 'allowInsecure'],
  async (ctx) => {
    const listening = await ctx.listen({ allowInsecure: true });
    const plain = await ctx.plainClientSend(listening.port, 'plain request');
    expect(plain.connected).toBe(true);
    const accepted = await listening.nextConnection();
    {
      using info = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
      expect(info.flags).toBe(0);
      expect(info.peerMachineToken).toBeUndefined();
    }
    expect((await readToEnd(accepted)).toString()).toBe('plain request');
    await plain.closed;
  },
);

add(
  'a server without allowInsecure delivers nothing from a peer without security',
  ['network'],
  async (ctx) => {
    const listening = await ctx.listen();
    const plain = await ctx.plainClientSend(listening.port, SECRET);
    await plain.closed;
    const good = await ctx.connect(listening);
    const accepted = await listening.nextConnection();
    expect(listening.accepted, 'the clear-text peer was never delivered').toHaveLength(1);
    good.write('secured');
    expect((await readBytes(accepted, 7)).toString()).toBe('secured');
  },
);

/** Polls once per turn of the event loop (bounded) until `done()`. */
function readUntil(done: () => boolean) {
  return within(
    (async () => {
      while (!done()) await tick();
    })(),
    'the clear-text peer to receive the data',
  );
}

/** Clear-text fallback where allowed, and fail-closed behaviour everywhere else. */
export const INSECURE_CASES = list;
