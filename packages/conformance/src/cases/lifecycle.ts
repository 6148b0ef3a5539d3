import { EventEmitter } from 'node:events';
import type { SecureSocket, SecureSocketError } from '@wsasec/core';
import { closeServer, listenServer } from '@wsasec/core';
import { expect } from 'vitest';
import type { CaseContext } from '../run/context.js';
import {
  closed,
  connectSocket,
  expectRejects,
  expectSecureError,
  expectThrows,
  once,
  readBytes,
  tick,
  within,
} from '../run/helpers.js';
import { expectSecured, freePort, group } from './shared.js';

const { list, add } = group('lifecycle');

add('listen resolves with the bound address; address() and listening agree', ['network'], async (ctx) => {
  const server = ctx.server.createServer();
  ctx.defer(() => closeServer(server));
  expect(server.listening).toBe(false);
  expect(server.address()).toBeNull();
  const listeningEvent = once(server, 'listening');
  const bound = await within(listenServer(server, { host: '127.0.0.1', port: 0 }), 'listen()');
  await listeningEvent;
  expect(bound.address).toBe('127.0.0.1');
  expect(bound.family).toBe('IPv4');
  expect(Number.isInteger(bound.port) && bound.port > 0 && bound.port < 65536).toBe(true);
  expect(server.address()).toEqual(bound);
  expect(server.listening).toBe(true);
  expect(server.connections).toBe(0);
});

add(
  "listen(0) binds at once, as net.Server: address() and listening answer before 'listening' comes; with a host they answer from 'listening' on (net looks a host up first)",
  ['network'],
  async (ctx) => {
    const server = ctx.server.createServer();
    ctx.defer(() => closeServer(server));
    const events: string[] = [];
    server.on('listening', () => events.push('listening'));
    expect(server.listen(0)).toBe(server);
    const address = server.address();
    expect(address?.family).toBe('IPv4');
    expect((address?.port ?? 0) > 0).toBe(true);
    expect(server.listening).toBe(true);
    expect(events).toEqual([]);
    await once(server, 'listening');
    expect(server.address()).toEqual(address);

    const hosted = ctx.server.createServer();
    ctx.defer(() => closeServer(hosted));
    hosted.listen(0, '127.0.0.1');
    expect([hosted.listening, hosted.address()]).toEqual([false, null]);
    await once(hosted, 'listening');
    expect(hosted.address()?.address).toBe('127.0.0.1');
  },
);

add('a failed bind leaves address() null and listening false, as net.Server', ['network'], async (ctx) => {
  const first = await ctx.listen();
  const second = ctx.server.createServer();
  ctx.defer(() => closeServer(second));
  second.listen(first.port, '127.0.0.1');
  const [error] = await once(second, 'error', "the bind's 'error'");
  expectSecureError(error, 'WSAEADDRINUSE');
  expect([second.listening, second.address()]).toEqual([false, null]);
});

add(
  "with captureRejections, a rejected async 'connection' listener destroys that connection with its error, as net.Server",
  ['network'],
  async (ctx) => {
    const previous = EventEmitter.captureRejections;
    EventEmitter.captureRejections = true;
    let server: ReturnType<typeof ctx.server.createServer>;
    try {
      server = ctx.server.createServer();
    } finally {
      EventEmitter.captureRejections = previous;
    }
    ctx.defer(() => closeServer(server));
    const kaboom = new Error('kaboom');
    const socketErrors: unknown[] = [];
    const accepted = new Promise<SecureSocket>((resolve) => {
      server.on('connection', async (socket: SecureSocket) => {
        socket.on('error', (error) => socketErrors.push(error));
        resolve(socket);
        throw kaboom;
      });
    });
    const serverErrors: unknown[] = [];
    server.on('error', (error) => serverErrors.push(error));
    const bound = await within(listenServer(server, { host: '127.0.0.1', port: 0 }), 'listen()');
    const client = await ctx.connect({ port: bound.port });
    client.on('error', () => {});
    ctx.defer(() => client.destroy());
    const socket = await within(accepted, "'connection'");
    await closed(socket);
    expect(socketErrors).toEqual([kaboom]);
    expect(socket.destroyed).toBe(true);
    expect(serverErrors).toEqual([]);
  },
);

add(
  "createSocket({ signal }) as new net.Socket({ signal }): an abort destroys the socket with Node's AbortError ('error' then 'close'), an aborted signal at once; a non-signal is refused",
  ['network'],
  async (ctx) => {
    const listening = await ctx.listen();
    const controller = new AbortController();
    const socket = ctx.client.createSocket({ signal: controller.signal });
    const events: string[] = [];
    let failure: unknown;
    socket.on('error', (error) => {
      failure = error;
      events.push('error');
    });
    socket.on('close', () => events.push('close'));
    socket.connect(listening.port, '127.0.0.1');
    const reason = new Error('stop');
    const closing = once(socket, 'close');
    controller.abort(reason);
    expect(socket.destroyed).toBe(true);
    await closing;
    expect(events).toEqual(['error', 'close']);
    const abort = failure as { name?: unknown; code?: unknown; cause?: unknown };
    expect([abort.name, abort.code, abort.cause]).toEqual(['AbortError', 'ABORT_ERR', reason]);

    const early = ctx.client.createSocket({ signal: AbortSignal.abort() });
    expect(early.destroyed).toBe(true);
    const [error] = await once(early, 'error');
    const earlyAbort = error as { name?: unknown; code?: unknown };
    expect([earlyAbort.name, earlyAbort.code]).toEqual(['AbortError', 'ABORT_ERR']);

    expectThrows(() => ctx.client.createSocket({ signal: {} as AbortSignal }), 'ERR_INVALID_ARG_TYPE');
  },
);

add(
  "connect's localAddress and localPort bind the connection's local end, as net's: the server sees them as the remote end (socket.connect and backend.connect)",
  ['network'],
  async (ctx) => {
    const listening = await ctx.listen();
    const localPort = await freePort(ctx);
    const socket = ctx.socket();
    socket.setSecurity();
    socket.setPeerTargetName(ctx.fixture.serverTargetName);
    await within(
      connectSocket(socket, {
        host: '127.0.0.1',
        port: listening.port,
        localAddress: '127.0.0.1',
        localPort,
      }),
      'connect with a local endpoint',
    );
    const accepted = await listening.nextConnection();
    expect([socket.localAddress, socket.localPort]).toEqual(['127.0.0.1', localPort]);
    expect([accepted.remoteAddress, accepted.remotePort]).toEqual(['127.0.0.1', localPort]);
    expectSecured(socket);

    const viaBackend = ctx.track(
      await within(
        ctx.client.connect({
          host: '127.0.0.1',
          port: listening.port,
          peerTargetName: ctx.fixture.serverTargetName,
          localAddress: '127.0.0.1',
        }),
        'backend.connect with a localAddress',
      ),
    );
    const second = await listening.nextConnection();
    expect(viaBackend.localAddress).toBe('127.0.0.1');
    expect(second.remotePort).toBe(viaBackend.localPort);
  },
);

add('listen on a given port binds that port', ['network'], async (ctx) => {
  const port = await freePort(ctx);
  const server = ctx.server.createServer();
  ctx.defer(() => closeServer(server));
  const bound = await within(listenServer(server, { host: '127.0.0.1', port }), 'listen()');
  expect(bound.port).toBe(port);
});

add('a second server on the same port fails with WSAEADDRINUSE', ['network'], async (ctx) => {
  const first = await ctx.listen();
  const second = ctx.server.createServer();
  ctx.defer(() => closeServer(second));
  await expectRejects(listenServer(second, { host: '127.0.0.1', port: first.port }), 'WSAEADDRINUSE');
  expect(second.listening).toBe(false);
  // The positional form reports it as net does: an 'error' naming the address and port asked for.
  const third = ctx.server.createServer();
  ctx.defer(() => closeServer(third));
  const failed = once(third, 'error', "the server's 'error'");
  third.listen(first.port, '127.0.0.1');
  const [error] = (await failed) as [SecureSocketError];
  expect([error.code, error.nodeCode, error.address, error.port]).toEqual([
    'WSAEADDRINUSE',
    'EADDRINUSE',
    '127.0.0.1',
    first.port,
  ]);
  expect(third.listening).toBe(false);
});

add(
  "listen while listening throws ERR_SERVER_ALREADY_LISTEN; after close(), in the same tick, it listens again and the first close's 'close' still comes, as net.Server",
  ['network'],
  async (ctx) => {
    const listening = await ctx.listen();
    const { server } = listening;
    expectThrows(() => server.listen(0, '127.0.0.1'), 'ERR_SERVER_ALREADY_LISTEN');
    await expectRejects(listenServer(server), 'ERR_SERVER_ALREADY_LISTEN');
    expect(server.address()?.port).toBe(listening.port);
    const closing = closeServer(server);
    // As net.Server: close() drops the listening socket at once.
    expect([server.listening, server.address()]).toEqual([false, null]);
    const again = listenServer(server, { host: '127.0.0.1' });
    await within(closing, "the first close's 'close'");
    const address = await within(again, 'listen right after close');
    expect(server.listening).toBe(true);
    expect(server.address()?.port).toBe(address.port);
    const client = await ctx.connect({ port: address.port });
    const accepted = await listening.nextConnection();
    expect(accepted.remotePort).toBe(client.localPort);
    client.destroy();
  },
);

add(
  "pending and readyState read as net.Socket's through a client's life: created, connecting, connected, destroyed, closed",
  ['network'],
  async (ctx) => {
    const listening = await ctx.listen();
    const socket = ctx.socket();
    const seen = () => [socket.pending, socket.readyState];
    // net: a new net.Socket is pending and 'open' (readable and writable, not connecting).
    expect(seen()).toEqual([true, 'open']);
    socket.setSecurity({});
    socket.setPeerTargetName(ctx.fixture.serverTargetName);
    const connected = connectSocket(socket, { host: listening.host, port: listening.port });
    expect(seen()).toEqual([true, 'opening']);
    let atConnect: unknown[] = [];
    socket.once('connect', () => {
      atConnect = seen();
    });
    await within(connected, "the client's connect");
    expect(atConnect).toEqual([false, 'open']);
    expect(seen()).toEqual([false, 'open']);
    const atClose = within(
      new Promise<unknown[]>((resolve) => socket.once('close', () => resolve(seen()))),
      "the client's 'close'",
    );
    socket.destroy();
    // net drops its handle in _destroy: pending again at once.
    expect(seen()).toEqual([true, 'closed']);
    expect(await atClose).toEqual([true, 'closed']);
  },
);

add(
  "connect to a host name emits 'lookup' as net's; options.lookup resolves it, its errors and non-IP answers fail the connect",
  ['network'],
  async (ctx) => {
    const listening = await ctx.listen();
    const secured = () => {
      const socket = ctx.socket();
      socket.setSecurity({});
      socket.setPeerTargetName(ctx.fixture.serverTargetName);
      return socket;
    };
    const lookups = (socket: SecureSocket) => {
      const seen: unknown[][] = [];
      socket.on('lookup', (...args: unknown[]) => seen.push(args));
      return seen;
    };
    // options.lookup is called as net calls it for a socket of one family, and its answer is used.
    const asked: unknown[][] = [];
    const custom = secured();
    const customSeen = lookups(custom);
    const connected = new Promise<void>((resolve, reject) => {
      custom.once('connect', resolve);
      custom.once('error', reject);
    });
    custom.connect({
      host: 'server.wsasec.test',
      port: listening.port,
      lookup: (host: string, options: object, cb: (e: Error | null, ip: string, family: number) => void) => {
        asked.push([host, options]);
        process.nextTick(cb, null, '127.0.0.1', 4);
      },
    } as never);
    await within(connected, 'the connect through options.lookup');
    expect(asked).toEqual([['server.wsasec.test', { family: 4, hints: 0 }]]);
    expect(customSeen).toEqual([[null, '127.0.0.1', 4, 'server.wsasec.test']]);
    expect(custom.remoteAddress).toBe('127.0.0.1');
    // An IP literal is not looked up.
    const literal = secured();
    const literalSeen = lookups(literal);
    let called = 0;
    await within(
      new Promise<void>((resolve, reject) => {
        literal.once('connect', resolve);
        literal.once('error', reject);
        literal.connect({ host: '127.0.0.1', port: listening.port, lookup: () => called++ } as never);
      }),
      'the connect to an IP literal',
    );
    expect([called, literalSeen]).toEqual([0, []]);
    // The lookup's error: 'lookup' with it, then the connect's 'error' and 'close'.
    const failing = secured();
    const failingSeen = lookups(failing);
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.wsasec.test'), {
      code: 'ENOTFOUND',
    });
    const failed = new Promise<unknown>((resolve) => failing.once('error', resolve));
    const failedClose = new Promise<void>((resolve) => failing.once('close', () => resolve()));
    failing.connect({
      host: 'nowhere.wsasec.test',
      port: listening.port,
      lookup: (_h: string, _o: object, cb: (e: Error) => void) => process.nextTick(cb, notFound),
    } as never);
    const lookupError = await within(failed, "the failed lookup's 'error'");
    await within(failedClose, "the failed lookup's 'close'");
    expect(failingSeen).toEqual([[notFound, undefined, undefined, 'nowhere.wsasec.test']]);
    expect((lookupError as { cause?: unknown }).cause ?? lookupError).toBe(notFound);
    // An answer that is not an IP literal: net's ERR_INVALID_IP_ADDRESS, a TypeError.
    const wrong = secured();
    const wrongError = new Promise<unknown>((resolve) => wrong.once('error', resolve));
    wrong.connect({
      host: 'odd.wsasec.test',
      port: listening.port,
      lookup: (_h: string, _o: object, cb: (e: null, ip: string, f: number) => void) =>
        process.nextTick(cb, null, 'not-an-ip', 4),
    } as never);
    const invalid = expectSecureError(
      await within(wrongError, "the invalid address's 'error'"),
      'ERR_INVALID_IP_ADDRESS',
    );
    expect(invalid.name).toBe('TypeError');
    // Not a function: thrown at once, as net's validateFunction, and the socket is left as it was.
    const unused = secured();
    expectThrows(
      () => unused.connect({ host: 'x.wsasec.test', port: listening.port, lookup: 'dns' } as never),
      'ERR_INVALID_ARG_TYPE',
    );
    expect(unused.connecting).toBe(false);
    // The two connections that resolved reached the server.
    const accepted = [await listening.nextConnection(), await listening.nextConnection()];
    expect(accepted.map((socket) => socket.remotePort).sort()).toEqual(
      [custom.localPort, literal.localPort].sort(),
    );
  },
);

add(
  "close follows net.Server.close: returns the server, cb on 'close', ERR_SERVER_NOT_RUNNING when not listening",
  ['network'],
  async (ctx) => {
    const { server } = await ctx.listen();
    const calls: string[] = [];
    server.on('close', () => calls.push('close'));
    const returned = server.close((error?: Error) =>
      calls.push(`cb ${error ? (error as SecureSocketError).code : 'ok'}`),
    );
    expect(returned).toBe(server);
    // A second close while closing: its cb runs on the first 'close', with ERR_SERVER_NOT_RUNNING,
    // and a 'close' of its own follows, as net's (each close() of a drained server emits one).
    server.close((error?: Error) => calls.push(`second ${error ? (error as SecureSocketError).code : 'ok'}`));
    expect(calls).toEqual([]);
    await within(
      new Promise<void>((resolve) => {
        let closes = 0;
        server.on('close', () => {
          if (++closes === 2) resolve();
        });
      }),
      "the server's two close events",
    );
    expect(calls).toEqual(['close', 'cb ok', 'second ERR_SERVER_NOT_RUNNING', 'close']);
    // A callback that is not a function is ignored, as net ignores it; 'close' comes on a later tick.
    expect(server.close('not a function' as never)).toBe(server);
    await within(once(server, 'close'), "close's close event on a closed server");
    // Never listened: 'close' on the next tick, the callback gets net's error with net's name.
    const idle = ctx.server.createServer();
    const notRunning = await within(
      new Promise<Error | undefined>((resolve) => idle.close(resolve)),
      'close(cb) of a server that never listened',
    );
    expectSecureError(notRunning, 'ERR_SERVER_NOT_RUNNING');
    expect(notRunning?.name).toBe('Error');
    expect((notRunning as SecureSocketError).nodeCode).toBe('ERR_SERVER_NOT_RUNNING');
  },
);

add(
  'server[Symbol.asyncDispose] closes a listening server and waits for its close',
  ['network'],
  async (ctx) => {
    const { server } = await ctx.listen();
    const closeEvent = once(server, 'close');
    await within(server[Symbol.asyncDispose](), 'server[Symbol.asyncDispose]()');
    await closeEvent;
    expect(server.listening).toBe(false);
    // Not listening: resolves at once, without emitting 'close' again.
    let closes = 0;
    server.on('close', () => closes++);
    await within(server[Symbol.asyncDispose](), 'a second server[Symbol.asyncDispose]()');
    await tick();
    expect(closes).toBe(0);
  },
);

add("listen's options.signal closes the server when it aborts, as net's", ['network'], async (ctx) => {
  const controller = new AbortController();
  const server = ctx.server.createServer();
  ctx.defer(() => closeServer(server));
  const returned = server.listen({ host: '127.0.0.1', port: 0, signal: controller.signal });
  expect(returned).toBe(server);
  await within(once(server, 'listening'), "'listening'");
  const port = server.address()?.port as number;
  const closeEvent = once(server, 'close');
  controller.abort();
  await within(closeEvent, "'close' after the signal aborted");
  expect(server.listening).toBe(false);
  await expectRejects(
    ctx.client.connect({ host: '127.0.0.1', port, peerTargetName: ctx.fixture.serverTargetName }),
    'WSAECONNREFUSED',
  );
  // Already aborted: the server never listens and closes on a later tick.
  const never = ctx.server.createServer();
  let listened = false;
  never.on('listening', () => {
    listened = true;
  });
  never.listen({ host: '127.0.0.1', port: 0, signal: AbortSignal.abort() });
  await within(once(never, 'close'), "'close' of a server listening with an aborted signal");
  expect(listened).toBe(false);
  expect(never.address()).toBeNull();
});

add('close resolves, emits close, clears the address, and is idempotent', ['network'], async (ctx) => {
  const { server } = await ctx.listen();
  const closeEvent = once(server, 'close');
  const first = closeServer(server);
  expect(server.listening).toBe(false);
  await within(first, 'closeServer(server)');
  await closeEvent;
  expect(server.address()).toBeNull();
  await within(closeServer(server), 'a second closeServer(server)');
});

add('after close, new connects are refused with WSAECONNREFUSED', ['network'], async (ctx) => {
  const listening = await ctx.listen();
  await closeServer(listening.server);
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
  const closing = closeServer(listening.server).then(() => {
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
    await closeServer(server);
  });
  const { port } = await within(listenServer(server, { host: '127.0.0.1' }), 'listen()');
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
  await within(listenServer(server, { host: '127.0.0.1' }), 'listen()');
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
  const { port } = await within(listenServer(server, { host: '127.0.0.1' }), 'listen()');
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
