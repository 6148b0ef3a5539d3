/**
 * A sim socket is a `net.Socket`, as a native-win socket is (Node's own, on a Winsock SOCKET):
 * `instanceof net.Socket` holds for created, connected and accepted sockets, `_handle` is `null`
 * (no libuv handle of its own), and the net methods it inherits work as net's — checked against
 * Node's own net in the same test where net can run the same calls: `resetAndDestroy()`,
 * `setTypeOfService()`, and TLS layered by hand (`tls.connect({ socket })`, `new tls.TLSSocket`) on
 * an already-connected socket.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { SecureSocket } from '@wsasec/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { contosoRealm, Harness, QM_ENCRYPTION } from '../support/fixture.js';

const h = new Harness();
const plain: (net.Socket | net.Server)[] = [];
afterEach(async () => {
  for (const s of plain.splice(0).reverse()) {
    if (s instanceof net.Server) await new Promise((resolve) => s.close(resolve));
    else s.destroy();
  }
  await h.close();
});

type Kind = 'net' | 'sim';

/** A connected pair over loopback (Node's net, or the sim's secured sockets), both sides connected. */
async function pair(
  kind: Kind,
  /** The sim server's security settings (its default policy: integrity). */
  security: object = {},
): Promise<{ client: net.Socket; accepted: net.Socket; created: net.Socket; port: number }> {
  let resolveAccepted!: (s: net.Socket) => void;
  const accepted = new Promise<net.Socket>((resolve) => {
    resolveAccepted = resolve;
  });
  if (kind === 'net') {
    // Every accepted socket is destroyed after the test (one a test connects 'created' to too).
    const server = net.createServer((s) => {
      plain.push(s);
      resolveAccepted(s);
    });
    plain.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    plain.push(client);
    await once(client, 'connect');
    const created = new net.Socket();
    plain.push(created);
    const a = await accepted;
    return { client, accepted: a, created, port: (server.address() as net.AddressInfo).port };
  }
  const realm = contosoRealm();
  const serverBackend = h.backend({ realm, machine: 'server.contoso.com' });
  const clientBackend = h.backend({ realm, machine: 'client.contoso.com' });
  const { port } = await h.server(serverBackend, { security }, (s) =>
    resolveAccepted(h.keep(s) as unknown as net.Socket),
  );
  const newSocket = () => {
    const socket = h.keep(clientBackend.createSocket() as SecureSocket);
    socket.setSecurity({});
    socket.setPeerTargetName('host/server.contoso.com');
    return socket as unknown as net.Socket;
  };
  const client = newSocket();
  client.connect(port, '127.0.0.1');
  await once(client, 'connect');
  return { client, accepted: await accepted, created: newSocket(), port };
}

function nextError(socket: net.Socket, ms = 3000): Promise<NodeJS.ErrnoException | 'none'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('none'), ms);
    socket.once('error', (error) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

describe('a sim socket is a net.Socket', () => {
  it('created, connected and accepted sockets are instanceof net.Socket, with no libuv handle', async () => {
    const { client, accepted, created } = await pair('sim');
    for (const socket of [client, accepted, created]) {
      expect(socket).toBeInstanceOf(net.Socket);
      expect((socket as unknown as { _handle: unknown })._handle).toBeNull();
    }
    // The net surface is the sim's own, not net's handle-less defaults.
    expect(client.pending).toBe(false);
    expect(client.readyState).toBe('open');
    expect(client.remotePort).toBe(accepted.localPort);
    expect(created.pending).toBe(true);
  });

  it.each(['net', 'sim'] as const)(
    '%s: writes of strings in every encoding arrive as bytes',
    async (kind) => {
      const { client, accepted } = await pair(kind);
      const got: Buffer[] = [];
      accepted.on('data', (chunk: Buffer) => got.push(chunk));
      client.write('héllo ', 'utf8');
      client.write('776f726c64', 'hex');
      client.cork();
      client.write('IQ==', 'base64');
      client.write(Buffer.from('.'));
      client.uncork();
      await new Promise<void>((resolve) => {
        const check = () => (Buffer.concat(got).length >= 14 ? resolve() : setTimeout(check, 5));
        check();
      });
      expect(Buffer.concat(got).toString('utf8')).toBe('héllo world!.');
    },
  );
});

describe('resetAndDestroy, as net', () => {
  it.each(['net', 'sim'] as const)(
    '%s: closes at once without an error here; the peer sees a reset',
    async (kind) => {
      const { client, accepted } = await pair(kind);
      const local = nextError(client, 300);
      const peer = nextError(accepted);
      // (events.once would reject on the peer's 'error'.)
      const peerClosed = new Promise((resolve) => accepted.once('close', resolve));
      const closed = new Promise((resolve) => client.once('close', resolve));
      expect(client.resetAndDestroy()).toBe(client);
      await closed;
      expect(client.destroyed).toBe(true);
      expect(await local).toBe('none');
      const error = await peer;
      expect(error).not.toBe('none');
      const code = (error as NodeJS.ErrnoException).code;
      // The sim speaks Winsock codes (the contract's); nodeCode carries net's.
      if (kind === 'net') expect(code).toBe('ECONNRESET');
      else {
        expect(code).toBe('WSAECONNRESET');
        expect((error as { nodeCode?: string }).nodeCode).toBe('ECONNRESET');
        // A TCP reset, not a bare FIN (which the sim also reports as WSAECONNRESET, without a cause).
        expect((error as { cause?: { code?: string } }).cause?.code).toBe('ECONNRESET');
      }
      await peerClosed;
    },
  );

  it.each(['net', 'sim'] as const)(
    '%s: on a socket never connected, destroys it with ERR_SOCKET_CLOSED',
    async (kind) => {
      const { created } = await pair(kind);
      const error = nextError(created);
      expect(created.resetAndDestroy()).toBe(created);
      const e = await error;
      expect((e as NodeJS.ErrnoException).code).toBe('ERR_SOCKET_CLOSED');
      expect((e as Error).message).toBe('Socket is closed');
      expect(created.destroyed).toBe(true);
    },
  );
});

describe("'close' carries hadError, as net's", () => {
  const closeArgs = (socket: net.Socket) =>
    new Promise<unknown[]>((resolve) => socket.once('close', (...args: unknown[]) => resolve(args)));

  it.each(['net', 'sim'] as const)('%s: false after an orderly end on both sides', async (kind) => {
    const { client, accepted } = await pair(kind);
    const closes = [closeArgs(client), closeArgs(accepted)];
    accepted.resume();
    client.resume();
    client.end();
    expect(await Promise.all(closes)).toEqual([[false], [false]]);
  });

  it.each(['net', 'sim'] as const)('%s: true on a socket destroyed with an error', async (kind) => {
    const { client } = await pair(kind);
    const error = nextError(client);
    const closed = closeArgs(client);
    client.destroy(new Error('boom'));
    expect(((await error) as Error).message).toBe('boom');
    expect(await closed).toEqual([true]);
  });

  it.each(['net', 'sim'] as const)(
    '%s: false after resetAndDestroy here, true at the reset peer',
    async (kind) => {
      const { client, accepted } = await pair(kind);
      accepted.on('error', () => {});
      const closes = [closeArgs(client), closeArgs(accepted)];
      client.resetAndDestroy();
      expect(await Promise.all(closes)).toEqual([[false], [true]]);
    },
  );
});

describe("bytesWritten and pending around a connect, as net's", () => {
  const writeDone = (socket: net.Socket, ...args: [string | Buffer, BufferEncoding?]) =>
    new Promise<Error | null | undefined>((resolve) =>
      args[1] ? socket.write(args[0], args[1], resolve) : socket.write(args[0], resolve),
    );

  it.each(['net', 'sim'] as const)(
    '%s: a write held while connecting counts at once, by its bytes, and once after it went out',
    async (kind) => {
      const { created, port } = await pair(kind);
      expect(created.pending).toBe(true);
      created.connect(port, '127.0.0.1');
      expect(created.pending).toBe(true);
      const done = writeDone(created, 'h\u00e9llo', 'utf8');
      expect(created.bytesWritten).toBe(6);
      // Behind the held write, in the stream's buffer: counted too, as net counts its writableBuffer.
      const second = writeDone(created, Buffer.from('!'));
      expect(created.bytesWritten).toBe(7);
      await once(created, 'connect');
      expect(created.pending).toBe(false);
      expect(await done).toBeFalsy();
      expect(await second).toBeFalsy();
      expect(created.bytesWritten).toBe(7);
    },
  );

  it.each(['net', 'sim'] as const)(
    '%s: a corked writev held while connecting counts every chunk (strings by their encoding)',
    async (kind) => {
      const { created, port } = await pair(kind);
      created.connect(port, '127.0.0.1');
      created.cork();
      created.write('one');
      created.write('dHfDuA==', 'base64'); // 'twø': 4 bytes
      created.uncork();
      expect(created.bytesWritten).toBe(7);
      await once(created, 'connect');
      await writeDone(created, '');
      expect(created.bytesWritten).toBe(7);
    },
  );

  it.each(['net', 'sim'] as const)(
    '%s: a held write dropped by a destroy before the connect stays counted; pending is true once closed',
    async (kind) => {
      const { created, port } = await pair(kind);
      created.connect(port, '127.0.0.1');
      const done = writeDone(created, 'abc');
      const closed = once(created, 'close');
      created.destroy();
      expect(created.pending).toBe(true);
      expect(((await done) as NodeJS.ErrnoException).code).toBe('ERR_SOCKET_CLOSED_BEFORE_CONNECTION');
      await closed;
      expect(created.bytesWritten).toBe(3);
      expect(created.pending).toBe(true);
    },
  );

  it.each(['net', 'sim'] as const)(
    '%s: pending is true again once a connected socket closed',
    async (kind) => {
      const { client, accepted } = await pair(kind);
      expect(client.pending).toBe(false);
      accepted.resume();
      const closed = once(client, 'close');
      client.destroy();
      expect(client.pending).toBe(true);
      await closed;
      expect(client.pending).toBe(true);
      expect(accepted.pending).toBe(false);
    },
  );
});

describe("a peer's destroy, as net", () => {
  it.each([
    ['net', 'net', {}],
    ['sim (integrity)', 'sim', {}],
    ['sim (encryption)', 'sim', { ipsec: { quickModePolicyKey: QM_ENCRYPTION } }],
  ] as const)(
    '%s: with writes of this side still queued, an ECONNRESET error (no end), and the queued writes fail with it',
    async (_name, kind, security) => {
      const { client, accepted } = await pair(kind, security);
      const events: string[] = [];
      accepted.on('end', () => events.push('end'));
      const error = nextError(accepted);
      const closed = new Promise<unknown>((resolve) => accepted.once('close', resolve));
      const results: (Error | null | undefined)[] = [];
      const written: Promise<void>[] = [];
      const chunk = Buffer.alloc(2e6, 'a');
      for (let i = 0; i < 10; i++)
        written.push(new Promise((resolve) => accepted.write(chunk, (e) => resolve(void results.push(e)))));
      accepted.end();
      // The peer reads some of it, then destroys its side with the rest unread.
      client.once('data', () => {
        client.pause();
        setImmediate(() => client.destroy());
      });
      const e = await error;
      expect(e).not.toBe('none');
      const failure = e as NodeJS.ErrnoException;
      if (kind === 'net') expect(failure.code).toBe('ECONNRESET');
      else {
        expect(failure.code).toBe('WSAECONNRESET');
        expect((failure as { nodeCode?: string }).nodeCode).toBe('ECONNRESET');
      }
      expect(await closed).toBe(true);
      await Promise.all(written);
      expect(events).toEqual([]);
      // The last writes were still queued in the stream: they fail with the socket's error. (net's
      // write in progress on its handle gets ECANCELED; the sim's, that error too.)
      expect(results.at(-1)).toBe(failure);
      for (const r of results) {
        if (!r) continue;
        if (kind === 'net' && (r as NodeJS.ErrnoException).code === 'ECANCELED') continue;
        expect(r).toBe(failure);
      }
    },
  );

  it('sim: with nothing of this side unsent, end then close without an error; a write after it (allowHalfOpen) gets WSAECONNRESET', async () => {
    const { client, accepted } = await pair('sim');
    accepted.allowHalfOpen = true;
    const error = nextError(accepted);
    const ended = new Promise<Error | null | undefined>((resolve) =>
      accepted.once('end', () => accepted.write('late', resolve)),
    );
    const closed = new Promise<unknown>((resolve) => accepted.once('close', resolve));
    accepted.resume();
    client.destroy();
    const late = (await ended) as NodeJS.ErrnoException;
    expect(late.code).toBe('WSAECONNRESET');
    expect((late as { nodeCode?: string }).nodeCode).toBe('ECONNRESET');
    expect(await error).toBe(late);
    expect(await closed).toBe(true);
  });

  it("sim: a destroy() with a write in progress on the TCP socket gives it ERR_WSASEC_SOCKET_CLOSED (not the TCP socket's unmapped ERR_STREAM_DESTROYED)", async () => {
    const { client, accepted } = await pair('sim');
    client.pause();
    // 32 MB in one write: more than loopback takes from a peer that reads nothing, so the write is
    // still in progress on the TCP socket when the destroy comes; the next one, queued in the
    // stream, gets the same error (Writable passes a failed write's error to those behind it).
    const first = new Promise<Error | null | undefined>((resolve) =>
      accepted.write(Buffer.alloc(32 * 1024 * 1024, 'a'), resolve),
    );
    const second = new Promise<Error | null | undefined>((resolve) => accepted.write('b', resolve));
    accepted.destroy();
    expect(((await first) as NodeJS.ErrnoException).code).toBe('ERR_WSASEC_SOCKET_CLOSED');
    expect(((await second) as NodeJS.ErrnoException).code).toBe('ERR_WSASEC_SOCKET_CLOSED');
  });

  it('sim: with nothing of this side unsent and no later write, end then close without an error', async () => {
    const { client, accepted } = await pair('sim');
    const events: string[] = [];
    accepted.on('error', (e) => events.push(`error ${(e as NodeJS.ErrnoException).code}`));
    accepted.on('end', () => events.push('end'));
    const closed = new Promise<unknown>((resolve) => accepted.once('close', resolve));
    accepted.resume();
    client.destroy();
    expect(await closed).toBe(false);
    expect(events).toEqual(['end']);
  });
});

describe('setTypeOfService / getTypeOfService', () => {
  const netHasTos =
    typeof (net.Socket.prototype as { setTypeOfService?: unknown }).setTypeOfService === 'function';

  it('keeps the value, before and after connect, and refuses what net refuses with net codes', async () => {
    const { client, created } = await pair('sim');
    const tos = created as unknown as { setTypeOfService(t: unknown): unknown; getTypeOfService(): number };
    expect(tos.getTypeOfService()).toBe(0);
    expect(tos.setTypeOfService(0x10)).toBe(created);
    expect(tos.getTypeOfService()).toBe(0x10);
    const connected = client as unknown as typeof tos;
    expect(connected.setTypeOfService(0x08)).toBe(client);
    expect(connected.getTypeOfService()).toBe(0x08);
    const bad: [unknown, string][] = [
      ['16', 'ERR_INVALID_ARG_TYPE'],
      [Number.NaN, 'ERR_INVALID_ARG_TYPE'],
      [1.5, 'ERR_OUT_OF_RANGE'],
      [-1, 'ERR_OUT_OF_RANGE'],
      [256, 'ERR_OUT_OF_RANGE'],
    ];
    const reference = netHasTos ? new net.Socket() : undefined;
    for (const [value, code] of bad) {
      expect(() => tos.setTypeOfService(value), String(value)).toThrow(expect.objectContaining({ code }));
      if (reference) {
        expect(() => (reference as unknown as typeof tos).setTypeOfService(value)).toThrow(
          expect.objectContaining({ code }),
        );
      }
    }
    reference?.destroy();
    // Nothing half-applied.
    expect(tos.getTypeOfService()).toBe(0x10);
  });

  it.skipIf(!netHasTos)(
    'reaches the TCP connection underneath as it starts (before negotiation) and once connected',
    async () => {
      const { created, client, port } = await pair('sim');
      type WithTos = { setTypeOfService(tos: number): net.Socket; getTypeOfService(): number };
      const proto = net.Socket.prototype as unknown as WithTos;
      const original = proto.setTypeOfService;
      // The sim socket overrides setTypeOfService: this spy sees only the TCP sockets underneath.
      const calls: { tcp: net.Socket; tos: number; connecting: boolean }[] = [];
      const spy = vi.spyOn(proto, 'setTypeOfService').mockImplementation(function (
        this: net.Socket,
        tos: number,
      ) {
        calls.push({ tcp: this, tos, connecting: this.connecting });
        return original.call(this, tos);
      });
      try {
        const tos = (s: net.Socket) => s as unknown as { setTypeOfService(t: number): unknown };
        tos(created).setTypeOfService(0x10);
        created.connect(port, '127.0.0.1');
        await once(created, 'connect');
        // First while TCP was still connecting (so before any negotiation byte), then on the
        // connection core hands over (the same TCP socket).
        expect(calls[0]).toMatchObject({ tos: 0x10, connecting: true });
        const tcp = (calls[0] as { tcp: net.Socket }).tcp;
        expect(calls.every((call) => call.tcp === tcp && call.tos === 0x10)).toBe(true);
        // What the kernel holds for that TCP socket (net reads it back with getsockopt).
        expect((tcp as unknown as { getTypeOfService(): number }).getTypeOfService()).toBe(0x10);
        tos(created).setTypeOfService(0x08);
        expect((tcp as unknown as { getTypeOfService(): number }).getTypeOfService()).toBe(0x08);
        expect(client.destroyed).toBe(false);
      } finally {
        spy.mockRestore();
      }
    },
  );
});

describe('TLS layered by hand on a connected sim socket', () => {
  const cert = readFileSync(new URL('../fixtures/tls-cert.pem', import.meta.url));
  const key = readFileSync(new URL('../fixtures/tls-key.pem', import.meta.url));

  it.each(['net', 'sim'] as const)('%s: new tls.TLSSocket on both ends, data both ways', async (kind) => {
    const { client, accepted } = await pair(kind);
    const server = new tls.TLSSocket(accepted, {
      isServer: true,
      secureContext: tls.createSecureContext({ cert, key }),
    });
    const secure = tls.connect({
      socket: client,
      ca: cert,
      servername: 'localhost',
      checkServerIdentity: () => undefined,
    });
    await once(secure, 'secureConnect');
    secure.write('ping');
    const [request] = await once(server, 'data');
    expect(String(request)).toBe('ping');
    server.write('pong');
    const [reply] = await once(secure, 'data');
    expect(String(reply)).toBe('pong');
    expect(secure.getProtocol()).toMatch(/^TLSv1\.[23]$/);
    secure.destroy();
    server.destroy();
  });

  it('a connect listener added after the connect is called once, on a later tick', async () => {
    const { client } = await pair('sim');
    const calls: string[] = [];
    client.once('connect', () => calls.push('once'));
    client.on('connect', () => calls.push('on'));
    expect(calls).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.sort()).toEqual(['on', 'once']);
    expect(client.listenerCount('connect')).toBe(0);
  });

  it('a late listener removed, or a socket destroyed, before that tick is not called; removeAllListeners() keeps the call', async () => {
    const { client, accepted } = await pair('sim');
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    client.on('connect', removed);
    client.removeListener('connect', removed);
    client.removeAllListeners();
    client.prependOnceListener('connect', () => calls.push('after removeAll'));
    accepted.once('connect', () => calls.push('destroyed'));
    accepted.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['after removeAll']);
  });

  it('a listener added while connecting is called once, by the connect itself', async () => {
    const realm = contosoRealm();
    const serverBackend = h.backend({ realm, machine: 'server.contoso.com' });
    const clientBackend = h.backend({ realm, machine: 'client.contoso.com' });
    const { port } = await h.server(serverBackend, { security: {} }, (s) => h.keep(s));
    const socket = h.keep(clientBackend.createSocket() as SecureSocket) as unknown as net.Socket;
    (socket as unknown as SecureSocket).setSecurity({});
    (socket as unknown as SecureSocket).setPeerTargetName('host/server.contoso.com');
    let calls = 0;
    socket.connect(port, '127.0.0.1');
    socket.on('connect', () => calls++);
    await once(socket, 'connect');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(1);
    expect(socket.listenerCount('connect')).toBe(1);
  });
});
