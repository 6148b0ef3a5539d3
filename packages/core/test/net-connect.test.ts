import { getEventListeners, once } from 'node:events';
import * as net from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { closeServer, listenServer, SecureSocketError, socketState } from '../src/index.js';
import { createRecordingBackend } from '../src/testing/index.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

function socketOf(rec: ReturnType<typeof createRecordingBackend>) {
  const socket = rec.backend.createSocket();
  socket.setSecurity();
  const events: string[] = [];
  for (const name of ['connect', 'ready', 'error', 'close']) socket.on(name, () => events.push(name));
  return { socket, events };
}

describe('socket.connect in the forms of net.Socket.connect', () => {
  it('returns the socket at once, connecting; then connect, ready and the listener, in that order', async () => {
    const rec = createRecordingBackend();
    const { socket, events } = socketOf(rec);
    const order: string[] = [];
    expect(socket.connect(80, '127.0.0.1', () => order.push(`listener after ${events.join(',')}`))).toBe(
      socket,
    );
    expect(socketState(socket)?.phase).toBe('connecting');
    await tick();
    rec.connects.shift()?.resolve();
    await once(socket, 'ready');
    expect(events).toEqual(['connect', 'ready']);
    expect(order).toEqual(['listener after connect']);
    expect(socketState(socket)?.phase).toBe('connected');
  });

  it.each([
    ['port, host', (s: ReturnType<typeof socketOf>['socket']) => s.connect(81, '127.0.0.2')],
    ['string port, host', (s: ReturnType<typeof socketOf>['socket']) => s.connect('0x51', '127.0.0.2')],
    ['options', (s: ReturnType<typeof socketOf>['socket']) => s.connect({ port: '81', host: '127.0.0.2' })],
  ])('connect(%s) reaches the driver with that address', async (_name, call) => {
    const rec = createRecordingBackend();
    const { socket } = socketOf(rec);
    expect(call(socket)).toBe(socket);
    await tick();
    expect(rec.connects[0]?.address).toMatchObject({ address: '127.0.0.2' });
    rec.connects.shift()?.resolve();
    await once(socket, 'connect');
  });

  it.each([
    ['connect()', (s: ReturnType<typeof socketOf>['socket']) => (s.connect as () => unknown)()],
    [
      'connect(undefined, host)',
      (s: ReturnType<typeof socketOf>['socket']) => s.connect(undefined as never, '127.0.0.1'),
    ],
    ['connect({})', (s: ReturnType<typeof socketOf>['socket']) => s.connect({} as never)],
    [
      'connect({ host })',
      (s: ReturnType<typeof socketOf>['socket']) => s.connect({ host: '127.0.0.1' } as never),
    ],
  ])(
    "%s without a port throws net's ERR_MISSING_ARGS (TypeError), and the socket stays unconnected",
    (_name, call) => {
      const rec = createRecordingBackend();
      const { socket } = socketOf(rec);
      expect(() => call(socket)).toThrow(
        expect.objectContaining({
          code: 'ERR_MISSING_ARGS',
          name: 'TypeError',
          message: 'The "options" or "port" or "path" argument must be specified',
        }),
      );
      expect(socketState(socket)?.phase).toBe('created');
      expect(rec.calls).not.toContain('socket.connect');
    },
  );

  it.each([true, false, null, [], {}])(
    'a port of the wrong type (%j) throws ERR_INVALID_ARG_TYPE (TypeError), and the socket stays unconnected',
    (port) => {
      const rec = createRecordingBackend();
      const { socket } = socketOf(rec);
      const form = Array.isArray(port) || (typeof port === 'object' && port !== null) ? { port } : port;
      let thrown: unknown;
      try {
        socket.connect(form as never, '127.0.0.1');
      } catch (error) {
        thrown = error;
      }
      expect(SecureSocketError.isInstance(thrown)).toBe(true);
      expect(thrown).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
      expect(socketState(socket)?.phase).toBe('created');
      expect(rec.calls).not.toContain('socket.connect');
    },
  );

  it.each(['', ' ', '0x', '-0x1', Number.NaN, Number.POSITIVE_INFINITY, -1, 65536, 1.5])(
    'a port out of range (%j) throws ERR_SOCKET_BAD_PORT (RangeError)',
    (port) => {
      const rec = createRecordingBackend();
      const { socket } = socketOf(rec);
      expect(() => socket.connect({ port: port as never, host: '127.0.0.1' })).toThrow(
        expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT', name: 'RangeError' }),
      );
      expect(socketState(socket)?.phase).toBe('created');
    },
  );

  it.each([
    [[-1]],
    [[true]],
    [[{ port: true }]],
    [[{ port: -1 }]],
    [[{ port: '80.5' }]],
    [[{ port: 70000, host: '127.0.0.1' }]],
  ])('connect(...%j) throws what net throws: code, name and message', (args) => {
    let expected: object | undefined;
    try {
      new net.Socket().connect(...(args as [never]));
    } catch (error) {
      const e = error as Error & { code?: string };
      expected = { code: e.code, name: e.name, message: e.message };
    }
    expect(expected).toBeDefined();
    const { socket } = socketOf(createRecordingBackend());
    expect(() => socket.connect(...(args as [never]))).toThrow(expect.objectContaining(expected));
  });

  it('a host that is not a string throws ERR_INVALID_ARG_TYPE', () => {
    const rec = createRecordingBackend();
    const { socket } = socketOf(rec);
    expect(() => socket.connect({ port: 80, host: 42 as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });

  it('a pipe path is refused with WSAEOPNOTSUPP', () => {
    const rec = createRecordingBackend();
    const { socket } = socketOf(rec);
    expect(() => socket.connect({ path: '/tmp/x' } as never)).toThrow(
      expect.objectContaining({ code: 'WSAEOPNOTSUPP' }),
    );
  });

  it('a failed connect emits error (with address, port and nodeCode) then close, and the socket is closed', async () => {
    const rec = createRecordingBackend();
    const { socket, events } = socketOf(rec);
    socket.connect(80, '127.0.0.1');
    await tick();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    rec.connects.shift()?.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    const [error] = await once(socket, 'error');
    expect(error).toMatchObject({
      code: 'WSAECONNREFUSED',
      nodeCode: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 80,
      syscall: 'WSAConnect',
    });
    await closed;
    expect(events).toEqual(['error', 'close']);
    expect(socketState(socket)?.phase).toBe('closed');
  });

  it('an abort through the signal adds one listener at once, cancels the driver, and fails with an AbortError', async () => {
    const rec = createRecordingBackend();
    const { socket, events } = socketOf(rec);
    const ac = new AbortController();
    socket.connect({ port: 80, host: '127.0.0.1', signal: ac.signal });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    await tick();
    const pending = rec.connects.shift();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    ac.abort();
    const [error] = await once(socket, 'error');
    expect(error).toMatchObject({ name: 'AbortError', code: 'ERR_WSASEC_ABORTED', nodeCode: 'ABORT_ERR' });
    expect(pending?.signal?.aborted).toBe(true);
    await closed;
    expect(events).toEqual(['error', 'close']);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('an already aborted signal fails on a later tick with an AbortError, before the driver is asked', async () => {
    const rec = createRecordingBackend();
    const { socket, events } = socketOf(rec);
    const ac = new AbortController();
    ac.abort();
    expect(socket.connect({ port: 80, host: '127.0.0.1', signal: ac.signal })).toBe(socket);
    expect(events).toEqual([]);
    const [error] = await once(socket, 'error');
    expect(error.name).toBe('AbortError');
    expect(rec.calls).not.toContain('socket.connect');
  });

  it("the timeout option is net's: it calls setTimeout and does not bound the connect", async () => {
    const rec = createRecordingBackend();
    const { socket } = socketOf(rec);
    const set: number[] = [];
    Object.defineProperty(socket, 'setTimeout', { value: (ms: number) => set.push(ms) });
    socket.connect({ port: 80, host: '127.0.0.1', timeout: 25 });
    expect(set).toEqual([25]);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(socketState(socket)?.phase).toBe('connecting');
    rec.connects.shift()?.resolve();
    await once(socket, 'connect');
  });

  it('a second connect while connecting throws WSAEALREADY; after connect WSAEISCONN', async () => {
    const rec = createRecordingBackend();
    const { socket } = socketOf(rec);
    socket.connect(80, '127.0.0.1');
    expect(() => socket.connect(80, '127.0.0.1')).toThrow(expect.objectContaining({ code: 'WSAEALREADY' }));
    await tick();
    rec.connects.shift()?.resolve();
    await once(socket, 'connect');
    expect(() => socket.connect(80, '127.0.0.1')).toThrow(expect.objectContaining({ code: 'WSAEISCONN' }));
  });
});

describe("connect's localAddress and localPort, as net's", () => {
  // What net itself throws for the same options (checked before anything is connected).
  const netThrows = (options: object) => {
    try {
      new net.Socket().connect(options as net.NetConnectOpts);
    } catch (error) {
      const e = error as Error & { code?: string };
      return { code: e.code, name: e.name, message: e.message };
    }
    throw new Error('net accepted the options');
  };

  it.each([
    ['a localAddress that is not an IP', { port: 80, host: '127.0.0.1', localAddress: 'foobar' }],
    ['a localAddress that is not a string', { port: 80, host: '127.0.0.1', localAddress: 42 }],
    ['a localPort that is a string', { port: 80, host: '127.0.0.1', localPort: 'foobar' }],
    ['a localPort that is an object', { port: 80, host: '127.0.0.1', localPort: {} }],
    ['a bad localPort and a bad port (the local one is checked first)', { port: -1, localPort: 'x' }],
  ])('%s throws what net throws (code, name, message), and nothing is connected', (_name, options) => {
    const rec = createRecordingBackend();
    const { socket } = socketOf(rec);
    const expected = netThrows(options);
    expect(() => socket.connect(options as never)).toThrow(expect.objectContaining(expected));
    expect(expected.code).toMatch(/^ERR_/);
    expect(socketState(socket)?.phase).toBe('created');
    expect(rec.calls).not.toContain('socket.connect');
  });

  it('a local endpoint reaches the driver with the target; falsy ones are left out, as net leaves them', async () => {
    const rec = createRecordingBackend();
    const a = socketOf(rec).socket;
    a.connect({ port: 80, host: '127.0.0.1', localAddress: '127.0.0.1', localPort: 5555 });
    const b = socketOf(rec).socket;
    b.connect({ port: 80, host: '127.0.0.1', localAddress: '', localPort: 0 });
    await tick();
    expect(rec.connects[0]?.target).toMatchObject({ port: 80, localAddress: '127.0.0.1', localPort: 5555 });
    expect(rec.connects[1]?.target).not.toHaveProperty('localAddress');
    expect(rec.connects[1]?.target).not.toHaveProperty('localPort');
    for (const c of rec.connects.splice(0)) c.resolve();
    a.destroy();
    b.destroy();
  });

  it.each([
    ['an IPv6 localAddress on an IPv4 socket', { localAddress: '::1' }, 'WSAEAFNOSUPPORT'],
    ['a localPort out of range', { localPort: 70000 }, 'ERR_SOCKET_BAD_PORT'],
    ['a negative localPort', { localPort: -5 }, 'ERR_SOCKET_BAD_PORT'],
    ['a fractional localPort', { localPort: 80.5 }, 'ERR_SOCKET_BAD_PORT'],
  ])('%s is refused with %s before anything is connected', (_name, local, code) => {
    const rec = createRecordingBackend();
    const { socket } = socketOf(rec);
    expect(() => socket.connect({ port: 80, host: '127.0.0.1', ...local })).toThrow(
      expect.objectContaining({ code }),
    );
    expect(socketState(socket)?.phase).toBe('created');
    expect(rec.calls).not.toContain('socket.connect');
  });

  it('backend.connect takes them too, and a localAddress fixes the family it tries', async () => {
    const rec = createRecordingBackend();
    await expect(
      rec.backend.connect({ host: '127.0.0.1', port: 80, family: 'ipv6', localAddress: '127.0.0.1' }),
    ).rejects.toMatchObject({ code: 'WSAEAFNOSUPPORT' });
    await expect(
      rec.backend.connect({ host: '127.0.0.1', port: 80, localAddress: 'nope' }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_IP_ADDRESS' });
    expect(rec.calls).not.toContain('socket.connect');
    const pending = rec.backend.connect({
      host: '127.0.0.1',
      port: 80,
      localAddress: '127.0.0.1',
      localPort: 6000,
    });
    await vi.waitFor(() => expect(rec.connects).toHaveLength(1));
    expect(rec.connects[0]?.target).toMatchObject({ localAddress: '127.0.0.1', localPort: 6000 });
    rec.connects.shift()?.resolve();
    (await pending).destroy();
  });
});

describe('socket.connecting, as on net.Socket', () => {
  it('is true from the call of connect() (resolution and negotiation included) until connect', async () => {
    const rec = createRecordingBackend();
    const { socket } = socketOf(rec);
    expect(socket.connecting).toBe(false);
    socket.connect(80, '127.0.0.1');
    expect(socket.connecting).toBe(true);
    await tick();
    expect(socket.connecting).toBe(true);
    rec.connects.shift()?.resolve();
    await once(socket, 'connect');
    expect(socket.connecting).toBe(false);
    socket.destroy();
  });

  it('is false again once the connect failed', async () => {
    const rec = createRecordingBackend();
    const { socket } = socketOf(rec);
    const errors: unknown[] = [];
    socket.on('error', (error) => errors.push(error));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.connect(80, '127.0.0.1');
    await tick();
    rec.connects.shift()?.reject(new SecureSocketError('WSAECONNREFUSED', 'refused'));
    await closed;
    expect(errors).toMatchObject([{ code: 'WSAECONNREFUSED' }]);
    expect(socket.connecting).toBe(false);
  });
});

describe("createServer takes net.createServer's socket options", () => {
  /** A recording server with these options, and the first socket it accepts. */
  async function acceptOne(options: object) {
    const rec = createRecordingBackend();
    const server = rec.backend.createServer(options);
    await listenServer(server);
    const accepted = new Promise<import('node:stream').Duplex>((resolve) =>
      server.once('connection', resolve),
    );
    rec.accept();
    return { server, socket: await accepted };
  }

  it('pauseOnConnect and allowHalfOpen apply to every accepted socket', async () => {
    const { server, socket } = await acceptOne({ pauseOnConnect: true, allowHalfOpen: true });
    expect(socket.isPaused()).toBe(true);
    expect(socket.allowHalfOpen).toBe(true);
    socket.destroy();
    await closeServer(server);
  });

  it('without them an accepted socket flows', async () => {
    const { server, socket } = await acceptOne({});
    expect(socket.isPaused()).toBe(false);
    socket.destroy();
    await closeServer(server);
  });

  it.each([
    [{ pauseOnConnect: 'yes' }, 'options.pauseOnConnect'],
    [{ allowHalfOpen: 1 }, 'options.allowHalfOpen'],
    [{ noDelay: null }, 'options.noDelay'],
    [{ keepAliveInitialDelay: -1 }, 'options.keepAliveInitialDelay'],
    [{ backlog: 5 }, 'backlog'],
  ])('refuses %j before creating anything, naming the option', (options, named) => {
    const rec = createRecordingBackend();
    let thrown: unknown;
    try {
      rec.backend.createServer(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(SecureSocketError.isInstance(thrown)).toBe(true);
    expect((thrown as Error).message).toContain(named);
    expect(rec.calls).not.toContain('createServer');
  });
});
