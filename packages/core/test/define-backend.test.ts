import { isIP, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  closeServer,
  listenServer,
  type NormalizedAddress,
  type PeerToken,
  type SecureSocket,
  SecureSocketError,
  socketState,
} from '../src/index.js';
import { createMemoryBackend, createMemoryRealm } from '../src/testing/memory-backend.js';
import { createRecordingBackend } from '../src/testing/recording-driver.js';

const v4 = (address: string): NormalizedAddress => ({ address, port: 0, family: 'ipv4' });
/** A resolver that names `addresses` for any host name and passes IP literals through, as drivers must. */
const resolver =
  (...addresses: NormalizedAddress[]) =>
  async (host: string) =>
    isIP(host)
      ? [{ address: host, port: 0, family: isIP(host) === 4 ? 'ipv4' : 'ipv6' } as NormalizedAddress]
      : addresses;
const v6 = (address: string): NormalizedAddress => ({ address, port: 0, family: 'ipv6' });
const turn = () => new Promise((resolve) => setImmediate(resolve));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!SecureSocketError.isInstance(error))
    throw new Error(`expected a SecureSocketError, got ${String(error)}`);
  return error.code;
}

/** The code and message of the SecureSocketError `fn` throws synchronously. */
function refused(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    if (!SecureSocketError.isInstance(error)) throw error;
    return { code: error.code, message: error.message };
  }
  throw new Error('expected a SecureSocketError');
}

describe('defineBackend', () => {
  it('returns a frozen v1 backend named by the driver', () => {
    const { backend } = createRecordingBackend();
    expect(Object.isFrozen(backend)).toBe(true);
    expect(backend.specificationVersion).toBe('v1');
    expect(backend.name).toBe('recording');
  });

  it('connect tries each resolved address with a fresh socket until one connects', async () => {
    const rec = createRecordingBackend({ resolve: resolver(v4('10.0.0.1'), v4('10.0.0.2')) });
    const connecting = rec.backend.connect({
      host: 'server.contoso.com',
      port: 27015,
      peerTargetName: 'host/s',
    });
    while (rec.connects.length === 0) await turn();
    const first = rec.connects.shift();
    expect(first?.address.address).toBe('10.0.0.1');
    first?.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    while (rec.connects.length === 0) await turn();
    const second = rec.connects.shift();
    expect(second?.address.address).toBe('10.0.0.2');
    second?.resolve();
    const socket = await connecting;
    expect(socketState(socket)?.phase).toBe('connected');
    expect(rec.calls.filter((c) => c === 'createSocket')).toHaveLength(2);
    expect(rec.calls.filter((c) => c === 'socket.setPeerTargetName')).toHaveLength(2);
  });

  it('connect stops at an authentication answer instead of trying the next address', async () => {
    const rec = createRecordingBackend({ resolve: resolver(v4('10.0.0.1'), v4('10.0.0.2')) });
    const connecting = rec.backend.connect({ host: 'server.contoso.com', port: 27015 });
    while (rec.connects.length === 0) await turn();
    rec.connects.shift()?.reject(new SecureSocketError('ERR_WSASEC_PEER_NAME_MISMATCH', 'not the server'));
    expect(await codeOf(connecting)).toBe('ERR_WSASEC_PEER_NAME_MISMATCH');
    expect(rec.calls.filter((c) => c === 'socket.connect')).toHaveLength(1);
  });

  it('connect reports the last failure when every address fails', async () => {
    const rec = createRecordingBackend({ resolve: resolver(v4('10.0.0.1'), v4('10.0.0.2')) });
    const connecting = rec.backend.connect({ host: 'server.contoso.com', port: 27015 });
    for (const code of ['ECONNREFUSED', 'ETIMEDOUT']) {
      while (rec.connects.length === 0) await turn();
      rec.connects.shift()?.reject(Object.assign(new Error(code), { code }));
    }
    expect(await codeOf(connecting)).toBe('WSAETIMEDOUT');
  });

  it('resolution failures become WSAHOST_NOT_FOUND; the family option filters addresses', async () => {
    const failing = createRecordingBackend({
      resolve: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
      },
    });
    expect(await codeOf(failing.backend.connect({ host: 'nowhere.invalid', port: 1 }))).toBe(
      'WSAHOST_NOT_FOUND',
    );
    const onlyV6 = createRecordingBackend({ resolve: async () => [v6('::1')] });
    expect(await codeOf(onlyV6.backend.connect({ host: 'h', port: 1, family: 'ipv4' }))).toBe(
      'WSAHOST_NOT_FOUND',
    );
    expect(
      await codeOf(
        createRecordingBackend({ resolve: async () => [] }).backend.connect({ host: 'h', port: 1 }),
      ),
    ).toBe('WSAHOST_NOT_FOUND');
  });

  it('connect validates everything before resolving or creating a socket', async () => {
    let resolved = 0;
    const rec = createRecordingBackend({
      resolve: async () => {
        resolved++;
        return [v4('10.0.0.1')];
      },
    });
    const bad = [
      { host: 'h', port: 1, security: { protocol: 'x' } },
      { host: 'h', port: 1, peerTargetName: '' },
      { host: 'h', port: 1, timeout: -1 },
      { host: 'h', port: 1, family: 'ipv5' },
      { host: 'h', port: 1, signal: AbortSignal.abort() },
    ];
    for (const opts of bad) await codeOf(rec.backend.connect(opts as never));
    expect(resolved).toBe(0);
    expect(rec.calls).toEqual([]);
  });

  it('accessCheck validates before the driver and refuses closed tokens', () => {
    const rec = createRecordingBackend();
    let closed = false;
    const token = {
      kind: 'machine',
      user: { sid: 'S-1-5-18' },
      groups: [],
      access: 8,
      get closed() {
        return closed;
      },
      close() {
        closed = true;
      },
      [Symbol.dispose]() {},
    } as PeerToken;
    expect(rec.backend.accessCheck(token, 'D:(A;;GA;;;WD)', 1)).toEqual({ granted: true, grantedAccess: 1 });
    const codes = [
      () => rec.backend.accessCheck({} as never, 'D:', 1),
      () => rec.backend.accessCheck(token, '', 1),
      () => rec.backend.accessCheck(token, 'D:', 0),
    ].map((fn) => {
      try {
        fn();
      } catch (error) {
        return (error as SecureSocketError).code;
      }
      return 'no error';
    });
    expect(codes).toEqual(['ERR_WSASEC_INVALID_ARGUMENT', 'WSAEINVAL', 'WSAEINVAL']);
    token.close();
    expect(() => rec.backend.accessCheck(token, 'D:', 1)).toThrow(/token was closed/);
    expect(rec.calls.filter((c) => c === 'accessCheck')).toHaveLength(1);
  });
});

describe('SecureServer', () => {
  it('maps a driver listen failure and can listen again afterwards', async () => {
    let fail = true;
    const rec = createRecordingBackend({
      listen: async (host, port) => {
        if (fail) throw Object.assign(new Error('bind EADDRINUSE'), { code: 'EADDRINUSE' });
        return { address: host, port: port || 40_000, family: 'ipv4' };
      },
    });
    const server = rec.backend.createServer();
    expect(await codeOf(listenServer(server, { port: 80 }))).toBe('WSAEADDRINUSE');
    expect(server.listening).toBe(false);
    fail = false;
    expect(await listenServer(server, { port: 80 })).toEqual({
      address: '127.0.0.1',
      port: 80,
      family: 'IPv4',
    });
    await closeServer(server);
  });

  it('infers ipv6 from the host and defaults the host by family', async () => {
    const rec = createRecordingBackend({
      listen: async (host, port) => ({ address: host, port, family: 'ipv6' }),
    });
    const byHost = rec.backend.createServer();
    expect((await listenServer(byHost, { host: '[::1]', port: 1 })).address).toBe('::1');
    const byFamily = rec.backend.createServer({ family: 'ipv6' });
    expect((await listenServer(byFamily, { port: 2 })).address).toBe('::1');
    await Promise.all([closeServer(byHost), closeServer(byFamily)]);
  });

  it('emits negotiationError only to listeners, and driver errors as error', async () => {
    const rec = createRecordingBackend();
    const server = rec.backend.createServer();
    await listenServer(server);
    const failure = new SecureSocketError('ERR_WSASEC_NEGOTIATION_FAILED', 'x');
    expect(() => rec.serverEvents()?.negotiationError(failure)).not.toThrow();
    const seen: unknown[] = [];
    server.on('negotiationError', (e) => seen.push(e));
    server.on('error', (e) => seen.push(e));
    rec.serverEvents()?.negotiationError(failure);
    const listenFailure = new Error('listener failed');
    rec.serverEvents()?.error(listenFailure);
    expect(seen).toEqual([failure, listenFailure]);
    await closeServer(server);
  });

  it('destroys a connection that arrives while it is closing', async () => {
    const rec = createRecordingBackend();
    const server = rec.backend.createServer();
    const delivered: SecureSocket[] = [];
    server.on('connection', (s: SecureSocket) => delivered.push(s));
    await listenServer(server);
    const closing = closeServer(server);
    const late = rec.accept();
    expect(late.stream.destroyed).toBe(true);
    expect(delivered).toEqual([]);
    await closing;
  });

  it('close waits for accepted connections and closeAllConnections ends them', async () => {
    const rec = createRecordingBackend();
    const server = rec.backend.createServer();
    await listenServer(server);
    rec.accept();
    rec.accept();
    expect(server.connections).toBe(2);
    let closed = false;
    const closing = closeServer(server).then(() => {
      closed = true;
    });
    for (let i = 0; i < 3; i++) await turn();
    expect(closed).toBe(false);
    server.closeAllConnections();
    await closing;
    expect(server.connections).toBe(0);
    expect(server.address()).toBeNull();
  });
});

describe('backend.close', () => {
  it('closes its servers', async () => {
    const rec = createRecordingBackend();
    const server = rec.backend.createServer();
    await listenServer(server);
    await rec.backend.close();
    expect(server.listening).toBe(false);
    expect(rec.calls.slice(-2)).toEqual(['server.close', 'close']);
  });

  it('resolves while an accepted connection is open', async () => {
    const realm = createMemoryRealm();
    const client = createMemoryBackend({ realm, machine: 'C' });
    const backend = createMemoryBackend({ realm, machine: 'S' });
    const server = backend.createServer();
    server.on('connection', (s: SecureSocket) => s.resume());
    const { port } = await listenServer(server);
    const socket = await client.connect({ host: '127.0.0.1', port });
    socket.resume();
    let closed = false;
    const closing = backend.close().then(() => {
      closed = true;
    });
    // Everything here is in-process: a few turns of the event loop are all a close needs.
    for (let i = 0; i < 20; i++) await turn();
    const closedWhileOpen = closed;
    socket.destroy();
    await client.close();
    await closing;
    expect(closedWhileOpen).toBe(true);
  });
});

describe('addPolicies', () => {
  const MM = {
    key: '6f0b8c5e-2f0e-4e57-9a53-6c1f6d6f0a03',
    mode: 'main',
    authentication: ['machine', 'user'],
  };
  const QM = { key: '6F0B8C5E-2F0E-4E57-9A53-6C1F6D6F0A01', mode: 'quick', protection: 'encryption' };

  it('validates, hands the driver normalized descriptions, and removes them once on close()', () => {
    const rec = createRecordingBackend({ policies: true });
    const registration = rec.backend.addPolicies([MM, QM] as never);
    expect(registration.keys).toEqual([MM.key, QM.key.toLowerCase()]);
    expect(Object.isFrozen(registration.keys)).toBe(true);
    expect(rec.calls).toEqual([`addPolicies ${MM.key} ${QM.key.toLowerCase()}`]);
    registration.close();
    registration.close();
    registration[Symbol.dispose]();
    expect(registration.closed).toBe(true);
    expect(rec.calls.filter((c) => c.startsWith('removePolicies'))).toHaveLength(1);
  });

  it('the backend close() removes the policies still registered, after its servers closed', async () => {
    const rec = createRecordingBackend({ policies: true });
    const kept = rec.backend.addPolicies([QM] as never);
    const gone = rec.backend.addPolicies([MM] as never);
    gone.close();
    rec.calls.length = 0;
    await rec.backend.close();
    expect(kept.closed).toBe(true);
    expect(rec.calls).toEqual([`removePolicies ${QM.key.toLowerCase()}`, 'close']);
    expect(refused(() => rec.backend.addPolicies([QM] as never))).toMatchObject({ code: 'WSAENOTSOCK' });
  });

  it('refuses bad input before the driver sees any of it, saying what is accepted', () => {
    const rec = createRecordingBackend({ policies: true });
    for (const bad of [undefined, null, [], {}, 'policy', [MM, 42]]) {
      expect(refused(() => rec.backend.addPolicies(bad as never))).toMatchObject({
        code: 'ERR_WSASEC_INVALID_ARGUMENT',
      });
    }
    expect(refused(() => rec.backend.addPolicies([] as never)).message).toContain('non-empty array');
    expect(refused(() => rec.backend.addPolicies([QM, { ...QM, protection: 'integrity' }] as never))).toEqual(
      {
        code: 'ERR_WSASEC_INVALID_ARGUMENT',
        message: `addPolicies: policy key ${QM.key.toLowerCase()} appears twice; each policy needs its own key`,
      },
    );
    expect(refused(() => rec.backend.addPolicies([{ ...MM, mode: 'aggressive' }] as never)).message).toMatch(
      /mode/,
    );
    expect(rec.calls).toEqual([]);
  });

  it('a driver without policies answers WSAEOPNOTSUPP (after validating)', () => {
    const rec = createRecordingBackend();
    expect(refused(() => rec.backend.addPolicies([QM] as never))).toEqual({
      code: 'WSAEOPNOTSUPP',
      message: 'addPolicies: the recording backend has no custom IPsec policies',
    });
    expect(refused(() => rec.backend.addPolicies([{ key: 'x' }] as never)).code).toBe(
      'ERR_WSASEC_INVALID_ARGUMENT',
    );
  });
});

describe('querySecurityAssociations', () => {
  async function connected(opts: { securityAssociations?: boolean } = {}) {
    const rec = createRecordingBackend({ resolve: resolver(v4('10.0.0.1')), ...opts });
    const pending = rec.backend.connect({ host: 'server.contoso.com', port: 27015 });
    while (rec.connects.length === 0) await turn();
    rec.connects.shift()?.resolve();
    return { rec, socket: await pending };
  }

  it('asks the driver once connected', async () => {
    const { rec, socket } = await connected({ securityAssociations: true });
    expect(socket.querySecurityAssociations()).toEqual({ mainMode: undefined, quickMode: [] });
    expect(rec.calls.at(-1)).toBe('socket.securityAssociations');
  });

  it('refuses before connect (WSAENOTCONN) and a driver without it (WSAEOPNOTSUPP), without a driver call', async () => {
    const rec = createRecordingBackend({ securityAssociations: true });
    const fresh = rec.backend.createSocket();
    expect(refused(() => fresh.querySecurityAssociations()).code).toBe('WSAENOTCONN');
    const { rec: plain, socket } = await connected();
    const calls = plain.calls.length;
    expect(refused(() => socket.querySecurityAssociations())).toEqual({
      code: 'WSAEOPNOTSUPP',
      message: 'querySecurityAssociations: the recording backend cannot look IPsec SAs up',
    });
    expect(plain.calls.length).toBe(calls);
    socket.destroy();
    await new Promise((r) => setImmediate(r));
    expect(refused(() => socket.querySecurityAssociations()).code).toBe('WSAENOTSOCK');
  });
});

describe('createSocket({ allowHalfOpen })', () => {
  it('sets the stream half-open, as new net.Socket({ allowHalfOpen: true })', () => {
    const { backend } = createRecordingBackend();
    const halfOpen = backend.createSocket({ allowHalfOpen: true });
    const plain = backend.createSocket({ allowHalfOpen: false });
    expect([halfOpen.allowHalfOpen, plain.allowHalfOpen]).toEqual([true, false]);
    halfOpen.destroy();
    plain.destroy();
  });

  it('refuses a non-boolean as net does, and on datagram sockets (no half-close)', () => {
    const { backend, calls } = createRecordingBackend();
    expect(() => backend.createSocket({ allowHalfOpen: 'yes' as never })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_TYPE',
        name: 'TypeError',
        message: expect.stringContaining('"options.allowHalfOpen" property must be of type boolean'),
      }),
    );
    expect(() => backend.createSocket({ type: 'dgram', allowHalfOpen: true })).toThrow(
      expect.objectContaining({ code: 'WSAEINVAL', message: expect.stringContaining('stream sockets only') }),
    );
    expect(calls).toEqual([]);
  });
});

describe('createSocket({ highWaterMark, readableHighWaterMark, writableHighWaterMark })', () => {
  const accepted: object[] = [
    {},
    { highWaterMark: 0 },
    { highWaterMark: 1024 },
    { readableHighWaterMark: 10 },
    { writableHighWaterMark: 20 },
    { readableHighWaterMark: 10, writableHighWaterMark: 20 },
    { highWaterMark: 5, readableHighWaterMark: 10, writableHighWaterMark: 20 },
    { highWaterMark: null, writableHighWaterMark: 7 },
  ];

  it.each(accepted)('gives the stream the marks new net.Socket(%o) has', (options) => {
    const backend = createMemoryBackend({ realm: createMemoryRealm(), machine: 'C' });
    const socket = backend.createSocket(options as { type?: 'stream' });
    const plain = new Socket(options);
    expect([socket.readableHighWaterMark, socket.writableHighWaterMark]).toEqual([
      plain.readableHighWaterMark,
      plain.writableHighWaterMark,
    ]);
    socket.destroy();
    plain.destroy();
  });

  it('with highWaterMark 0, write() returns false at once, as on a net.Socket', () => {
    const backend = createMemoryBackend({ realm: createMemoryRealm(), machine: 'C' });
    const socket = backend.createSocket({ highWaterMark: 0 });
    const plain = new Socket({ highWaterMark: 0 } as object);
    // Neither is connected: each holds the write; what write() answers is the stream's mark.
    expect([socket.write('x', () => {}), plain.write('x', () => {})]).toEqual([false, false]);
    socket.destroy();
    plain.destroy();
  });

  const refused: object[] = [
    { highWaterMark: -1 },
    { highWaterMark: 1.5 },
    { highWaterMark: '16' },
    { highWaterMark: Number.NaN },
    { readableHighWaterMark: -1 },
    { writableHighWaterMark: Number.POSITIVE_INFINITY },
    { readableHighWaterMark: 1, writableHighWaterMark: {} },
  ];

  it.each(refused)(
    'refuses %o with the code and property net.Socket names, and creates nothing',
    (options) => {
      const { backend, calls } = createRecordingBackend();
      let nodeError: (Error & { code?: string }) | undefined;
      try {
        new Socket(options).destroy();
      } catch (error) {
        nodeError = error as Error & { code?: string };
      }
      expect(nodeError?.code).toBe('ERR_INVALID_ARG_VALUE');
      // Node's message: "The property 'options.<side>HighWaterMark' is invalid. Received …".
      const property = /^The property '[^']+' is invalid\./.exec(nodeError?.message ?? '')?.[0];
      expect(property).toBeDefined();
      expect(() => backend.createSocket(options as never)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_ARG_VALUE',
          name: 'TypeError',
          message: expect.stringContaining(property as string),
        }),
      );
      expect(() => backend.createSocket(options as never)).toThrow(/an integer of bytes ≥ 0 is accepted/);
      expect(calls).toEqual([]);
    },
  );

  it('refuses high-water marks on a datagram socket (not a stream)', () => {
    const { backend, calls } = createRecordingBackend();
    expect(() => backend.createSocket({ type: 'dgram', highWaterMark: 16 })).toThrow(
      expect.objectContaining({ code: 'WSAEINVAL', message: expect.stringContaining('stream sockets only') }),
    );
    expect(calls).toEqual([]);
  });
});

describe('createSocket({ signal }) of a datagram socket', () => {
  it('closes the socket when the signal aborts, as dgram.createSocket({ signal }), and at once for an aborted signal', async () => {
    const { backend } = createRecordingBackend();
    const controller = new AbortController();
    const socket = backend.createSocket({ type: 'dgram', signal: controller.signal });
    await socket.bind({ address: '127.0.0.1' });
    const closing = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    controller.abort();
    await closing;

    const early = backend.createSocket({ type: 'dgram', signal: AbortSignal.abort() });
    await new Promise<void>((resolve) => early.once('close', () => resolve()));
  });

  it('an abort after the socket closed (its close() in flight) does not close it twice', async () => {
    const { backend } = createRecordingBackend();
    const controller = new AbortController();
    const socket = backend.createSocket({ type: 'dgram', signal: controller.signal });
    let closes = 0;
    socket.on('close', () => closes++);
    socket.close();
    expect(() => controller.abort()).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(closes).toBe(1);
  });
});
