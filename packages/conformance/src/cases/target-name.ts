import { expect } from 'vitest';
import type { CaseContext } from '../run/context.js';
import { connectSocket, expectRejects, readBytes } from '../run/helpers.js';
import { expectSecured, group, snapshot } from './shared.js';

const { list, add } = group('target names');

/** After a refused attempt, a good connection must be the first (and only) one the server delivers. */
async function expectOnlyTheGoodConnection(
  ctx: CaseContext,
  listening: Awaited<ReturnType<CaseContext['listen']>>,
) {
  const good = await ctx.connect(listening);
  const accepted = await listening.nextConnection();
  expect(listening.accepted, 'the refused attempt delivered no connection').toHaveLength(1);
  good.write('good');
  expect((await readBytes(accepted, 4)).toString()).toBe('good');
}

add('the right target name connects (string form)', ['network'], async (ctx) => {
  const listening = await ctx.listen();
  const client = await ctx.connect(listening, { peerTargetName: ctx.fixture.serverTargetName });
  expectSecured(client);
});

add('the right target name connects (object form with the protocol)', ['network'], async (ctx) => {
  const listening = await ctx.listen();
  const client = await ctx.connect(listening, {
    client: { protocol: 'ipsec' },
    peerTargetName: { name: ctx.fixture.serverTargetName, protocol: 'ipsec' },
  });
  expectSecured(client);
});

add('no target name connects (the name is recommended, not required)', ['network'], async (ctx) => {
  const listening = await ctx.listen();
  const client = await ctx.connect(listening, { peerTargetName: null });
  expectSecured(client);
});

add(
  'a wrong target name fails with ERR_WSASEC_PEER_NAME_MISMATCH and the server delivers nothing',
  ['network', 'peerNameVerification'],
  async (ctx) => {
    const listening = await ctx.listen();
    const socket = ctx.socket();
    socket.setSecurity();
    socket.setPeerTargetName(ctx.wrongTargetName);
    await expectRejects(
      connectSocket(socket, { host: '127.0.0.1', port: listening.port }),
      'ERR_WSASEC_PEER_NAME_MISMATCH',
    );
    expect(socket.destroyed, 'a socket whose name did not match is destroyed').toBe(true);
    await expectOnlyTheGoodConnection(ctx, listening);
  },
);

add(
  'backend.connect stops at a wrong target name with ERR_WSASEC_PEER_NAME_MISMATCH',
  ['network', 'peerNameVerification'],
  async (ctx) => {
    const listening = await ctx.listen();
    await expectRejects(
      ctx.client.connect({ host: '127.0.0.1', port: listening.port, peerTargetName: ctx.wrongTargetName }),
      'ERR_WSASEC_PEER_NAME_MISMATCH',
    );
    await expectOnlyTheGoodConnection(ctx, listening);
  },
);

add(
  'a wrong target name fails even with allowInsecure (no fallback to clear text)',
  ['network', 'peerNameVerification'],
  async (ctx) => {
    const listening = await ctx.listen({ allowInsecure: true });
    await expectRejects(
      ctx.client.connect({
        host: '127.0.0.1',
        port: listening.port,
        security: { allowInsecure: true },
        peerTargetName: ctx.wrongTargetName,
      }),
      'ERR_WSASEC_PEER_NAME_MISMATCH',
    );
    expect(listening.accepted).toHaveLength(0);
  },
);

add('optionalPeerNameVerification lets a wrong target name connect', ['network'], async (ctx) => {
  const listening = await ctx.listen();
  const client = await ctx.connect(listening, {
    client: { ipsec: { optionalPeerNameVerification: true } },
    peerTargetName: ctx.wrongTargetName,
  });
  expectSecured(client);
});

add('the last target name set is the one checked', ['network', 'peerNameVerification'], async (ctx) => {
  const listening = await ctx.listen();
  const socket = ctx.socket();
  socket.setSecurity();
  socket.setPeerTargetName(ctx.wrongTargetName);
  socket.setPeerTargetName(ctx.fixture.serverTargetName);
  await connectSocket(socket, { host: '127.0.0.1', port: listening.port });
  expect(snapshot(socket).targetNames).toEqual([['*', ctx.fixture.serverTargetName]]);
  expectSecured(socket);
});

add('a deleted target name is no longer checked', ['network', 'peerNameVerification'], async (ctx) => {
  const listening = await ctx.listen();
  const socket = ctx.socket();
  socket.setSecurity();
  socket.setPeerTargetName(ctx.wrongTargetName);
  socket.deletePeerTargetName({ address: '127.0.0.1', port: listening.port });
  await connectSocket(socket, { host: '127.0.0.1', port: listening.port });
  expectSecured(socket);
});

/** Peer target names: the right one connects, a wrong one never does unless optional. */
export const TARGET_NAME_CASES = list;
