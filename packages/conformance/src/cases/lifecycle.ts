import type { SecureSocket } from '@wsasec/core';
import { expect } from 'vitest';
import type { CaseContext } from '../run/context.js';
import { closed, expectRejects, once, readBytes, tick, within } from '../run/helpers.js';
import { expectSecured, freePort, group } from './shared.js';

const { list, add } = group('lifecycle');

add('listen resolves with the bound address; address() and listening agree', ['network'], async (ctx) => {
  const server = ctx.server.createServer();
  ctx.defer(() => server.close());
  expect(server.listening).toBe(false);
  expect(server.address()).toBeNull();
  const listeningEvent = once(server, 'listening');
  const bound = await within(server.listen({ host: '127.0.0.1', port: 0 }), 'listen()');
  await listeningEvent;
  expect(bound.address).toBe('127.0.0.1');
  expect(bound.family).toBe('IPv4');
  expect(Number.isInteger(bound.port) && bound.port > 0 && bound.port < 65536).toBe(true);
  expect(server.address()).toEqual(bound);
  expect(server.listening).toBe(true);
  expect(server.connections).toBe(0);
});

add('listen on a given port binds that port', ['network'], async (ctx) => {
  const port = await freePort(ctx);
  const server = ctx.server.createServer();
  ctx.defer(() => server.close());
  const bound = await within(server.listen({ host: '127.0.0.1', port }), 'listen()');
  expect(bound.port).toBe(port);
});

add('a second server on the same port fails with WSAEADDRINUSE', ['network'], async (ctx) => {
  const first = await ctx.listen();
  const second = ctx.server.createServer();
  ctx.defer(() => second.close());
  await expectRejects(second.listen({ host: '127.0.0.1', port: first.port }), 'WSAEADDRINUSE');
  expect(second.listening).toBe(false);
});

add('listen twice, or after close, is refused with WSAEINVAL', ['network'], async (ctx) => {
  const listening = await ctx.listen();
  await expectRejects(listening.server.listen(), 'WSAEINVAL');
  await listening.server.close();
  await expectRejects(listening.server.listen(), 'WSAEINVAL');
});

add('close resolves, emits close, clears the address, and is idempotent', ['network'], async (ctx) => {
  const { server } = await ctx.listen();
  const closeEvent = once(server, 'close');
  const first = server.close();
  expect(server.listening).toBe(false);
  await within(first, 'server.close()');
  await closeEvent;
  expect(server.address()).toBeNull();
  await within(server.close(), 'a second server.close()');
});

add('after close, new connects are refused with WSAECONNREFUSED', ['network'], async (ctx) => {
  const listening = await ctx.listen();
  await listening.server.close();
  await expectRejects(
    ctx.client.connect({
      host: '127.0.0.1',
      port: listening.port,
      peerTargetName: ctx.fixture.serverTargetName,
    }),
    'WSAECONNREFUSED',
  );
});

add('server.close waits for open connections', ['network'], async (ctx) => {
  const { client, accepted, listening } = await ctx.pair();
  accepted.resume();
  let done = false;
  const closing = listening.server.close().then(() => {
    done = true;
  });
  for (let i = 0; i < 5; i++) await tick();
  expect(done, 'close() resolved while a connection was open').toBe(false);
  expect(listening.server.listening).toBe(false);
  // The open connection still works while the server is closing.
  client.write('still here');
  expect((await readBytes(accepted, 10)).toString()).toBe('still here');
  accepted.resume();
  client.destroy();
  await within(closing, 'server.close() once the last connection closed');
  expect(listening.server.connections).toBe(0);
});

add('closeAllConnections destroys every accepted connection', ['network'], async (ctx) => {
  const listening = await ctx.listen();
  const clients = [await ctx.connect(listening), await ctx.connect(listening)];
  await listening.nextConnection();
  await listening.nextConnection();
  for (const c of clients) c.resume();
  // Listen before closing: a net.Socket marks itself closed before it emits 'close'.
  const serverEnds = listening.accepted.map((s) => once(s, 'close'));
  listening.server.closeAllConnections();
  await within(Promise.all(clients.map((c) => closed(c))), 'the clients to see their connections closed');
  await within(Promise.all(serverEnds), 'the server ends to close');
  expect(listening.server.connections).toBe(0);
});

add('the onConnection callback receives secured sockets', ['network'], async (ctx) => {
  const received: SecureSocket[] = [];
  const server = ctx.server.createServer({}, (socket) => {
    socket.on('error', () => {});
    received.push(socket);
  });
  ctx.defer(async () => {
    server.closeAllConnections();
    await server.close();
  });
  const { port } = await within(server.listen({ host: '127.0.0.1' }), 'listen()');
  await ctx.connect({ port });
  await within(
    (async () => {
      while (received.length === 0) await tick();
    })(),
    'onConnection',
  );
  const accepted = received[0] as SecureSocket;
  expect(accepted.socketType).toBe('stream');
  expectSecured(accepted);
});

add('backend.close closes its servers', ['network'], async (ctx) => {
  const fixture = await ctx.freshFixture();
  const server = fixture.server.createServer();
  await within(server.listen({ host: '127.0.0.1' }), 'listen()');
  const closeEvent = once(server, 'close');
  await within(fixture.server.close(), 'backend.close()');
  await closeEvent;
  expect(server.listening).toBe(false);
});

/** A fresh fixture with one connection from its client to a server of its server backend. */
async function freshConnection(ctx: CaseContext) {
  const fixture = await ctx.freshFixture();
  const server = fixture.server.createServer();
  server.on('connection', (s: SecureSocket) => {
    s.on('error', () => {});
    s.resume();
  });
  const { port } = await within(server.listen({ host: '127.0.0.1' }), 'listen()');
  const client = await within(
    fixture.client.connect({ host: '127.0.0.1', port, peerTargetName: fixture.serverTargetName }),
    'connect()',
  );
  client.on('error', () => {});
  client.resume();
  return { fixture, server, client };
}

add('backend.close destroys its open connections', ['network'], async (ctx) => {
  const { fixture, server, client } = await freshConnection(ctx);
  await within(fixture.client.close(), 'the client backend.close()');
  await closed(client, 'the client socket closed by its backend');
  await within(fixture.server.close(), 'the server backend.close() with its connection ended');
  expect(server.connections).toBe(0);
});

add('backend.close resolves while an accepted connection is open', ['network'], async (ctx) => {
  const { fixture, client } = await freshConnection(ctx);
  await within(fixture.server.close(), 'the server backend.close() with a connection open');
  await closed(client, 'the client to see its connection closed');
});

add('backend.close can be called twice', [], async (ctx) => {
  const fixture = await ctx.freshFixture();
  await within(fixture.client.close(), 'backend.close()');
  await within(fixture.client.close(), 'a second backend.close()');
});

add('the backend names its contract version and itself', [], (ctx) => {
  for (const backend of [ctx.client, ctx.server]) {
    expect(backend.specificationVersion).toBe('v1');
    expect(typeof backend.name).toBe('string');
    expect(backend.name.length).toBeGreaterThan(0);
  }
});

/** Server listen/close and backend close. */
export const LIFECYCLE_CASES = list;
