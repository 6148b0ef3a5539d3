import { expect } from 'vitest';
import { closed, connectSocket, expectRejects, expectThrows, tick } from '../run/helpers.js';
import { expectAllNotSock, freePort, group, snapshot } from './shared.js';

const { list, add } = group('call order');

add('setSecurity a second time is refused with WSAEINVAL', [], (ctx) => {
  const socket = ctx.socket();
  socket.setSecurity({ guaranteeEncryption: true });
  const before = snapshot(socket);
  expectThrows(() => socket.setSecurity(), 'WSAEINVAL');
  expectThrows(() => socket.setSecurity({ guaranteeEncryption: true }), 'WSAEINVAL');
  expect(snapshot(socket)).toEqual(before);
});

add('setSecurity after connect started is refused with WSAEINVAL', ['network'], async (ctx) => {
  const { port } = await ctx.listen({ allowInsecure: true });
  const socket = ctx.socket();
  const connecting = connectSocket(socket, { host: '127.0.0.1', port });
  expectThrows(() => socket.setSecurity(), 'WSAEINVAL');
  await connecting.catch(() => {});
});

add('setSecurity on a connected socket is refused with WSAEISCONN', ['network'], async (ctx) => {
  const { client, accepted } = await ctx.pair();
  expectThrows(() => client.setSecurity(), 'WSAEISCONN');
  expectThrows(() => accepted.setSecurity(), 'WSAEISCONN');
});

add('setPeerTargetName after connect started is refused with WSAEINVAL', ['network'], async (ctx) => {
  const { port } = await ctx.listen();
  const socket = ctx.socket();
  socket.setSecurity();
  const connecting = connectSocket(socket, { host: '127.0.0.1', port });
  expectThrows(() => socket.setPeerTargetName(ctx.fixture.serverTargetName), 'WSAEINVAL');
  await connecting.catch(() => {});
});

add('setPeerTargetName on a connected socket is refused with WSAEISCONN', ['network'], async (ctx) => {
  const { client, accepted } = await ctx.pair();
  expectThrows(() => client.setPeerTargetName(ctx.fixture.serverTargetName), 'WSAEISCONN');
  expectThrows(() => accepted.setPeerTargetName(ctx.fixture.serverTargetName), 'WSAEISCONN');
});

add('connect while connecting is refused with WSAEALREADY', ['network'], async (ctx) => {
  const { port } = await ctx.listen();
  const socket = ctx.socket();
  socket.setSecurity();
  socket.setPeerTargetName(ctx.fixture.serverTargetName);
  const connecting = connectSocket(socket, { host: '127.0.0.1', port });
  expectThrows(() => socket.connect({ host: '127.0.0.1', port }), 'WSAEALREADY');
  await connecting;
  expect(snapshot(socket).phase).toBe('connected');
});

add(
  "destroy() at any point of a connect turns `connecting` false at once and ends in one 'close', as net",
  ['network'],
  async (ctx) => {
    const { port } = await ctx.listen();
    // The connect runs through promise jobs, ticks and I/O turns; a destroy() lands in each of them
    // (net's own deferred connect runs in a tick and must see the socket as no longer connecting).
    const points = [
      ...Array.from({ length: 12 }, (_, depth) => ({ depth, turns: 0 })),
      ...Array.from({ length: 4 }, (_, turns) => ({ depth: 0, turns: turns + 1 })),
    ];
    for (const { depth, turns } of points) {
      const label = `destroyed after ${depth} promise jobs and ${turns} I/O turns`;
      const socket = ctx.socket();
      socket.setSecurity();
      socket.setPeerTargetName(ctx.fixture.serverTargetName);
      const events: string[] = [];
      for (const event of ['connect', 'ready', 'error', 'close']) socket.on(event, () => events.push(event));
      const gone = closed(socket, `'close' (${label})`);
      socket.connect({ host: '127.0.0.1', port });
      for (let i = 0; i < turns; i++) await tick();
      for (let i = 0; i < depth; i++) await undefined;
      const wasConnected = events.includes('connect');
      socket.destroy();
      expect(socket.connecting, label).toBe(false);
      expect(socket.destroyed, label).toBe(true);
      await gone;
      await tick();
      expect(events, label).toEqual(wasConnected ? ['connect', 'ready', 'close'] : ['close']);
      await expectAllNotSock(socket);
    }
  },
);

add('connect on a connected socket is refused with WSAEISCONN', ['network'], async (ctx) => {
  const { client, listening } = await ctx.pair();
  expectThrows(() => client.connect({ host: '127.0.0.1', port: listening.port }), 'WSAEISCONN');
  expect(snapshot(client).phase).toBe('connected');
});

add('querySecurity before connect is refused with WSAENOTCONN', [], (ctx) => {
  const socket = ctx.socket();
  expectThrows(() => socket.querySecurity(), 'WSAENOTCONN');
  socket.setSecurity();
  expectThrows(() => socket.querySecurity({ tokenAccess: 8 }), 'WSAENOTCONN');
});

add('impersonatePeer before connect is refused with WSAENOTCONN and runs nothing', [], (ctx) => {
  const socket = ctx.socket();
  let ran = false;
  expectThrows(
    () =>
      socket.impersonatePeer(() => {
        ran = true;
      }),
    'WSAENOTCONN',
  );
  expect(ran).toBe(false);
});

add('deleting a target name that was never set succeeds', [], (ctx) => {
  const socket = ctx.socket();
  socket.deletePeerTargetName({ address: '127.0.0.1', port: 27015 });
  expect(snapshot(socket).targetNames).toEqual([]);
});

add('every call on a destroyed socket is refused with WSAENOTSOCK', [], async (ctx) => {
  const socket = ctx.socket();
  socket.destroy();
  await expectAllNotSock(socket);
  expect(snapshot(socket).phase).toBe('closed');
});

add('every call on a connection closed by its peer is refused with WSAENOTSOCK', ['network'], async (ctx) => {
  const { client, accepted } = await ctx.pair();
  accepted.resume();
  client.destroy();
  await closed(accepted, "the accepted socket's 'close' after the client destroyed");
  await expectAllNotSock(accepted);
  await expectAllNotSock(client);
});

add(
  'a failed connect destroys the socket (fail closed) and later calls get WSAENOTSOCK',
  ['network'],
  async (ctx) => {
    const port = await freePort(ctx);
    const socket = ctx.socket();
    socket.setSecurity();
    await expectRejects(connectSocket(socket, { host: '127.0.0.1', port }), 'WSAECONNREFUSED');
    expect(socket.destroyed).toBe(true);
    expect(snapshot(socket).phase).toBe('closed');
    await expectAllNotSock(socket);
  },
);

add('a rejected call changes nothing', [], (ctx) => {
  const socket = ctx.socket();
  const before = snapshot(socket);
  expectThrows(() => socket.setSecurity({ protocol: 'tls' } as never), 'WSAEINVAL');
  expectThrows(() => socket.setPeerTargetName(''), 'WSAEINVAL');
  expectThrows(() => socket.deletePeerTargetName({ address: 'not-an-ip' }), 'WSAEINVAL');
  expectThrows(() => socket.querySecurity({ tokenAccess: -1 }), 'WSAEINVAL');
  expect(snapshot(socket)).toEqual(before);
  // The once-only setSecurity was not used up by the refused call.
  socket.setSecurity({ guaranteeEncryption: true });
  socket.setPeerTargetName(ctx.fixture.serverTargetName);
  expect(snapshot(socket).targetNames).toEqual([['*', ctx.fixture.serverTargetName]]);
});

add(
  'connect with an already aborted signal fails with an AbortError (ERR_WSASEC_ABORTED) before connecting, as net',
  [],
  async (ctx) => {
    const socket = ctx.socket();
    socket.setSecurity();
    const aborted = new AbortController();
    aborted.abort();
    const error = await expectRejects(
      connectSocket(socket, { host: '127.0.0.1', port: 9, signal: aborted.signal }),
      'ERR_WSASEC_ABORTED',
    );
    expect(error.name).toBe('AbortError');
    expect(snapshot(socket).phase).toBe('closed');
  },
);

add(
  'aborting a connect in flight fails with an AbortError (ERR_WSASEC_ABORTED) and destroys the socket',
  ['network'],
  async (ctx) => {
    const { port } = await ctx.listen();
    const socket = ctx.socket();
    socket.setSecurity();
    socket.setPeerTargetName(ctx.fixture.serverTargetName);
    const abort = new AbortController();
    const connecting = connectSocket(socket, { host: '127.0.0.1', port, signal: abort.signal });
    abort.abort();
    const error = await expectRejects(connecting, 'ERR_WSASEC_ABORTED');
    expect(error.name).toBe('AbortError');
    expect(socket.destroyed).toBe(true);
  },
);

/** Core's call-order rules as a backend's sockets must show them, each with its error code. */
export const CALL_ORDER_CASES = list;
