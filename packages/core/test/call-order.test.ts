import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  closeServer,
  listenServer,
  type SecureDatagramSocket,
  type SecureSocket,
  SecureSocketError,
  socketState,
} from '../src/index.js';
import { createRecordingBackend } from '../src/testing/recording-driver.js';

/** The call-order table of packages/core/README.md, as `call → refused with` rows. */
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const TABLE = README.slice(README.indexOf('## Call-order rules'), README.indexOf('Bad values get'));
const ROWS = TABLE.split('\n')
  .filter((line) => line.startsWith('| ') && !line.startsWith('| call'))
  .map((line) => line.split('|')[1]?.trim() as string);

/** State as plain data, to show that a refused call changed nothing. */
function state(socket: SecureSocket | SecureDatagramSocket) {
  const s = socketState(socket);
  return s && { ...s, targetNames: [...s.targetNames], sentTo: s.sentTo && [...s.sentTo] };
}

/** `fn` must throw (or reject with) a SecureSocketError `code`, with no driver call and no state change. */
async function refused(
  rec: ReturnType<typeof createRecordingBackend>,
  socket: SecureSocket | SecureDatagramSocket,
  code: string,
  fn: () => unknown,
): Promise<SecureSocketError> {
  const calls = rec.calls.length;
  const before = state(socket);
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  expect(SecureSocketError.isInstance(error), `expected ${code}, got ${String(error)}`).toBe(true);
  expect((error as SecureSocketError).code).toBe(code);
  expect(rec.calls.slice(calls), 'the driver was not called').toEqual([]);
  expect(state(socket), 'the socket state is unchanged').toEqual(before);
  return error as SecureSocketError;
}

/** A socket whose connect is held open by the recording driver. */
function connecting(rec: ReturnType<typeof createRecordingBackend>) {
  const socket = rec.backend.createSocket();
  socket.setSecurity();
  const pending = once(socket.connect({ host: '127.0.0.1', port: 80 }), 'connect');
  return { socket, pending };
}

async function connected(rec: ReturnType<typeof createRecordingBackend>) {
  const { socket, pending } = connecting(rec);
  await new Promise((resolve) => setImmediate(resolve));
  rec.connects.shift()?.resolve();
  await pending;
  return socket;
}

const TESTS: Record<string, () => Promise<void>> = {
  '`setSecurity` a second time, or after connect started': async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket();
    socket.setSecurity({ guaranteeEncryption: true });
    await refused(rec, socket, 'WSAEINVAL', () => socket.setSecurity({ guaranteeEncryption: true }));
    const plain = rec.backend.createSocket();
    const pending = plain.connect({ host: '127.0.0.1', port: 80 });
    await refused(rec, plain, 'WSAEINVAL', () => plain.setSecurity());
    expect(socketState(plain)?.phase).toBe('connecting');
    await new Promise((resolve) => setImmediate(resolve));
    rec.connects.shift()?.resolve();
    await pending;
  },
  '`setSecurity` / `setPeerTargetName` on a connected socket': async () => {
    const rec = createRecordingBackend();
    const socket = await connected(rec);
    await refused(rec, socket, 'WSAEISCONN', () => socket.setSecurity());
    await refused(rec, socket, 'WSAEISCONN', () => socket.setPeerTargetName('host/a.contoso.com'));
    const server = rec.backend.createServer();
    await listenServer(server);
    const acceptedSocket = rec.accept().stream as SecureSocket;
    await refused(rec, acceptedSocket, 'WSAEISCONN', () => acceptedSocket.setSecurity());
    await refused(rec, acceptedSocket, 'WSAEISCONN', () => acceptedSocket.setPeerTargetName('host/a'));
    server.closeAllConnections();
    await closeServer(server);
  },
  '`connect` while connecting / when connected': async () => {
    const rec = createRecordingBackend();
    const { socket, pending } = connecting(rec);
    await refused(rec, socket, 'WSAEALREADY', () => socket.connect({ host: '127.0.0.1', port: 80 }));
    await refused(rec, socket, 'WSAEINVAL', () => socket.setPeerTargetName('host/a'));
    await new Promise((resolve) => setImmediate(resolve));
    rec.connects.shift()?.resolve();
    await pending;
    await refused(rec, socket, 'WSAEISCONN', () => socket.connect({ host: '127.0.0.1', port: 80 }));
  },
  '`querySecurity` / `querySecurityAssociations` / `impersonatePeer` before connect (stream)': async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket();
    await refused(rec, socket, 'WSAENOTCONN', () => socket.querySecurity());
    await refused(rec, socket, 'WSAENOTCONN', () => socket.querySecurityAssociations());
    await refused(rec, socket, 'WSAENOTCONN', () => socket.impersonatePeer(() => 1));
    const held = connecting(rec);
    await refused(rec, held.socket, 'WSAENOTCONN', () => held.socket.querySecurity());
    await refused(rec, held.socket, 'WSAENOTCONN', () => held.socket.querySecurityAssociations());
    await refused(rec, held.socket, 'WSAENOTCONN', () => held.socket.impersonatePeer(() => 1));
    await new Promise((resolve) => setImmediate(resolve));
    rec.connects.shift()?.reject(new SecureSocketError('WSAECONNREFUSED', 'refused'));
    await held.pending.catch(() => {});
  },
  'datagram `setPeerTargetName` without a non-zero peer address': async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket({ type: 'dgram' });
    await refused(rec, socket, 'WSAEINVAL', () => socket.setPeerTargetName('host/a' as never));
    await refused(rec, socket, 'WSAEINVAL', () =>
      socket.setPeerTargetName({ name: 'host/a', peerAddress: { address: '0.0.0.0', port: 0 } }),
    );
    // A zero address with a port, or an address with port 0, is non-zero.
    socket.setPeerTargetName({ name: 'host/a', peerAddress: { address: '0.0.0.0', port: 500 } });
    socket.setPeerTargetName({ name: 'host/b', peerAddress: { address: '10.0.0.1', port: 0 } });
    expect(socketState(socket)?.targetNames.size).toBe(2);
  },
  'datagram `setPeerTargetName` for a peer already sent to': async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket({ type: 'dgram' });
    const peer = { address: '10.0.0.1', port: 500 };
    socket.setPeerTargetName({ name: 'host/a', peerAddress: peer });
    await socket.send('hello', peer);
    await refused(rec, socket, 'WSAEINVAL', () =>
      socket.setPeerTargetName({ name: 'host/b', peerAddress: peer }),
    );
    // Another peer is still free to name.
    socket.setPeerTargetName({ name: 'host/c', peerAddress: { address: '10.0.0.2', port: 500 } });
    expect([...(socketState(socket)?.targetNames.values() ?? [])]).toEqual(['host/a', 'host/c']);
  },
  'datagram `setSecurity` a second time, after bind, or after a send': async () => {
    const rec = createRecordingBackend();
    const twice = rec.backend.createSocket({ type: 'dgram' });
    twice.setSecurity();
    await refused(rec, twice, 'WSAEINVAL', () => twice.setSecurity());
    const bound = rec.backend.createSocket({ type: 'dgram' });
    await bound.bind({ address: '127.0.0.1' });
    await refused(rec, bound, 'WSAEINVAL', () => bound.setSecurity());
    const sent = rec.backend.createSocket({ type: 'dgram' });
    const sending = sent.send('x', { address: '127.0.0.1', port: 9 });
    await refused(rec, sent, 'WSAEINVAL', () => sent.setSecurity());
    await sending;
    expect(socketState(sent)?.phase).toBe('bound');
  },
  '`bind` a datagram socket a second time': async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket({ type: 'dgram', family: 'ipv6' });
    const listening = new Promise((resolve) => socket.once('listening', resolve));
    expect(await socket.bind()).toEqual({ address: '::', port: 50_001, family: 'ipv6' });
    await listening;
    await refused(rec, socket, 'WSAEINVAL', () => socket.bind());
    expect(socket.address()).toEqual({ address: '::', port: 50_001, family: 'ipv6' });
  },
  'datagram `querySecurity` / `impersonatePeer` without a peer address': async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket({ type: 'dgram' });
    await refused(rec, socket, 'WSAEMSGSIZE', () => socket.querySecurity(undefined as never));
    await refused(rec, socket, 'WSAEMSGSIZE', () => socket.querySecurity({ tokenAccess: 8 } as never));
    await refused(rec, socket, 'WSAEFAULT', () => socket.impersonatePeer(() => 1, undefined as never));
    await refused(rec, socket, 'WSAEINVAL', () =>
      socket.querySecurity({ peerAddress: { address: '0.0.0.0' } }),
    );
    await refused(rec, socket, 'WSAEINVAL', () => socket.impersonatePeer(() => 1, { address: '0.0.0.0' }));
  },
  'datagram `querySecurity` / `impersonatePeer` for a peer without an SA (from the backend)': async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket({ type: 'dgram' });
    const peer = { address: '10.0.0.1', port: 500 };
    let ran = false;
    expect(() => socket.querySecurity({ peerAddress: peer })).toThrow(
      expect.objectContaining({ code: 'WSAEINVAL' }),
    );
    expect(() => socket.impersonatePeer(() => (ran = true), peer)).toThrow(
      expect.objectContaining({ code: 'WSAEINVAL' }),
    );
    expect(ran).toBe(false);
    await socket.send('hello', peer);
    socket.querySecurity({ peerAddress: peer }).close();
    expect(socket.impersonatePeer(() => 7, peer)).toBe(7);
  },
  "`createSocket({ type: 'dgram' })` on a backend without datagram sockets": async () => {
    const rec = createRecordingBackend({ noDatagrams: true });
    let error: unknown;
    try {
      rec.backend.createSocket({ type: 'dgram' });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'WSAEOPNOTSUPP', syscall: 'WSASocketW' });
    expect(rec.calls).toEqual([]);
  },
  'any call after close': async () => {
    const rec = createRecordingBackend();
    const dgram = rec.backend.createSocket({ type: 'dgram' });
    await new Promise<void>((resolve) => dgram.close(resolve));
    const peer = { address: '127.0.0.1', port: 9 };
    await refused(rec, dgram, 'WSAENOTSOCK', () => dgram.setSecurity());
    await refused(rec, dgram, 'WSAENOTSOCK', () =>
      dgram.setPeerTargetName({ name: 'host/a', peerAddress: peer }),
    );
    await refused(rec, dgram, 'WSAENOTSOCK', () => dgram.deletePeerTargetName(peer));
    await refused(rec, dgram, 'WSAENOTSOCK', () => dgram.bind());
    await refused(rec, dgram, 'WSAENOTSOCK', () => dgram.send('x', peer));
    await refused(rec, dgram, 'WSAENOTSOCK', () => dgram.querySecurity({ peerAddress: peer }));
    await refused(rec, dgram, 'WSAENOTSOCK', () => dgram.impersonatePeer(() => 1, peer));
    for (const socket of [rec.backend.createSocket(), await connected(rec)]) {
      socket.destroy();
      await new Promise((resolve) => socket.once('close', resolve));
      expect(socketState(socket)?.phase).toBe('closed');
      await refused(rec, socket, 'WSAENOTSOCK', () => socket.setSecurity());
      await refused(rec, socket, 'WSAENOTSOCK', () => socket.setPeerTargetName('host/a'));
      await refused(rec, socket, 'WSAENOTSOCK', () => socket.deletePeerTargetName({ address: '127.0.0.1' }));
      await refused(rec, socket, 'WSAENOTSOCK', () => socket.connect({ host: '127.0.0.1', port: 80 }));
      await refused(rec, socket, 'WSAENOTSOCK', () => socket.querySecurity());
      await refused(rec, socket, 'WSAENOTSOCK', () => socket.impersonatePeer(() => 1));
    }
  },
  'an impersonation callback that returns a promise': async () => {
    const rec = createRecordingBackend();
    const socket = await connected(rec);
    const error = await refusedAfterDriver(socket, () => socket.impersonatePeer(async () => 1));
    expect(error.code).toBe('ERR_WSASEC_ASYNC_IMPERSONATION');
  },
};

/** Impersonation reaches the driver (which reverts) before core sees the promise. */
async function refusedAfterDriver(socket: SecureSocket, fn: () => unknown): Promise<SecureSocketError> {
  const before = state(socket);
  try {
    fn();
  } catch (error) {
    expect(state(socket)).toEqual(before);
    return error as SecureSocketError;
  }
  throw new Error('expected a refusal');
}

describe('the call-order table of the core README', () => {
  it('has a test for every row, and no test for a row that is gone', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(8);
    expect(Object.keys(TESTS).sort()).toEqual([...ROWS].sort());
  });

  for (const [row, test] of Object.entries(TESTS)) it(row, test);
});

describe('beyond the table', () => {
  it('a failed connect destroys the socket (fail closed); later calls get WSAENOTSOCK', async () => {
    const rec = createRecordingBackend();
    const { socket, pending } = connecting(rec);
    await new Promise((resolve) => setImmediate(resolve));
    rec.connects.shift()?.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    await expect(pending).rejects.toMatchObject({ code: 'WSAECONNREFUSED', syscall: 'WSAConnect' });
    expect(socket.destroyed).toBe(true);
    expect(socketState(socket)?.phase).toBe('closed');
    await refused(rec, socket, 'WSAENOTSOCK', () => socket.setSecurity());
  });

  it('a socket destroyed while its connect is in flight cancels it, ends closed even if the driver succeeds, and emits only close', async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket();
    socket.setSecurity();
    const events: string[] = [];
    for (const name of ['connect', 'ready', 'error', 'close']) socket.on(name, () => events.push(name));
    socket.connect(80, '127.0.0.1');
    await new Promise((resolve) => setImmediate(resolve));
    const pending = rec.connects.shift();
    socket.destroy();
    await once(socket, 'close');
    expect(pending?.signal?.aborted).toBe(true);
    pending?.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['close']);
    expect(socketState(socket)?.phase).toBe('closed');
  });

  it('an address of the wrong family is refused with WSAEAFNOSUPPORT before the driver', async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket({ type: 'dgram', family: 'ipv6' });
    await refused(rec, socket, 'WSAEAFNOSUPPORT', () =>
      socket.setPeerTargetName({ name: 'host/a', peerAddress: { address: '10.0.0.1', port: 1 } }),
    );
    await refused(rec, socket, 'WSAEAFNOSUPPORT', () => socket.deletePeerTargetName({ address: '10.0.0.1' }));
  });

  it('refused bad values change nothing and never reach the driver', async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket();
    await refused(rec, socket, 'WSAEINVAL', () => socket.setSecurity({ protocol: 7 } as never));
    await refused(rec, socket, 'WSAEFAULT', () => socket.setPeerTargetName(undefined as never));
    await refused(rec, socket, 'WSAEMSGSIZE', () => socket.setPeerTargetName('x'.repeat(2000)));
    await refused(rec, socket, 'WSAEAFNOSUPPORT', () =>
      socket.deletePeerTargetName({ address: '::1', family: 'ipv4' }),
    );
    await refused(rec, socket, 'WSAEADDRNOTAVAIL', () => rec.backend.connect({ host: '127.0.0.1', port: 0 }));
    socket.setSecurity({ allowInsecure: true });
    expect(socketState(socket)?.security?.securityFlags).toBe(2);
  });

  // As net, whose lookup or connect fails after connect() returned: port 0 and a host that is no
  // name pass the argument checks, then the socket reports 'error' and 'close' on a later tick.
  for (const [label, target, code] of [
    ['port 0', { host: '127.0.0.1', port: 0 }, 'WSAEADDRNOTAVAIL'],
    ['a host with a space', { host: 'a b', port: 80 }, 'WSAEINVAL'],
    ['a host of 256 characters', { host: 'h'.repeat(256), port: 80 }, 'WSAEINVAL'],
  ] as const) {
    it(`a net-form connect to ${label} emits 'error' then 'close', as net, without reaching the driver`, async () => {
      const rec = createRecordingBackend();
      const socket = rec.backend.createSocket();
      socket.setSecurity();
      const calls = rec.calls.length;
      const events: string[] = [];
      socket.on('connect', () => events.push('connect'));
      socket.on('error', (error: SecureSocketError) => events.push(`error ${error.code} ${error.port}`));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      expect(socket.connect(target)).toBe(socket);
      expect(socket.connecting).toBe(true);
      expect(socket.destroyed).toBe(false);
      expect(events).toEqual([]);
      await closed;
      expect(events).toEqual([`error ${code} ${target.port}`]);
      expect(socket.connecting).toBe(false);
      expect(rec.calls.slice(calls)).not.toContain('socket.connect');
    });
  }

  it('an accepted socket starts connected with the listener settings', async () => {
    const rec = createRecordingBackend();
    const server = rec.backend.createServer({ security: { guaranteeEncryption: true } });
    await listenServer(server);
    const accepted = rec.accept().stream as SecureSocket;
    expect(socketState(accepted)?.phase).toBe('connected');
    expect(socketState(accepted)?.security?.securityFlags).toBe(1);
    expect(accepted.querySecurity().secured).toBe(true);
    accepted.destroy();
    await closeServer(server);
  });
});
