import { describe, expect, it } from 'vitest';
import {
  MAX_DATAGRAM_SIZE,
  type SecureDatagramSocket,
  SecureSocketError,
  socketState,
} from '../src/index.js';
import { createRecordingBackend } from '../src/testing/recording-driver.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return SecureSocketError.isInstance(error) ? error.code : `not a SecureSocketError: ${String(error)}`;
  }
  return undefined;
}

async function rejectedCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return SecureSocketError.isInstance(error) ? error.code : `not a SecureSocketError: ${String(error)}`;
  }
  return undefined;
}

describe('SecureDatagramSocket (core guard over a recording driver)', () => {
  it('binds implicitly on the first send, emitting listening, and hands the driver a Buffer', async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket({ type: 'dgram' });
    let listening = 0;
    socket.on('listening', () => listening++);
    await socket.send(new Uint8Array([1, 2, 3]), { address: '127.0.0.1', port: 4000 });
    await socket.send('hé', { address: '127.0.0.1', port: 4000 });
    expect(listening).toBe(1);
    expect(rec.calls).toEqual(['createDatagramSocket', 'dgram.bind', 'dgram.send', 'dgram.send']);
    const sent = rec.datagrams[0]?.sent ?? [];
    expect(sent.map((d) => d.data.toString('hex'))).toEqual(['010203', Buffer.from('hé').toString('hex')]);
    expect(sent[0]?.peer).toEqual({ address: '127.0.0.1', port: 4000, family: 'ipv4' });
    expect(socket.address()).toEqual({ address: '0.0.0.0', port: 50_001, family: 'ipv4' });
    expect(socketState(socket)?.phase).toBe('bound');
    socket.close();
  });

  it('refuses bad sends before the driver, saying what is accepted', async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket({ type: 'dgram' });
    const peer = { address: '127.0.0.1', port: 9 };
    expect(await rejectedCode(socket.send(42 as never, peer))).toBe('WSAEINVAL');
    expect(await rejectedCode(socket.send(Buffer.alloc(MAX_DATAGRAM_SIZE + 1), peer))).toBe('WSAEMSGSIZE');
    expect(await rejectedCode(socket.send('x', { address: '127.0.0.1', port: 0 }))).toBe('WSAEADDRNOTAVAIL');
    expect(await rejectedCode(socket.send('x', { address: '0.0.0.0', port: 9 }))).toBe('WSAEADDRNOTAVAIL');
    expect(await rejectedCode(socket.send('x', { address: '::1', port: 9 }))).toBe('WSAEAFNOSUPPORT');
    expect(await rejectedCode(socket.send('x', { address: 'localhost', port: 9 }))).toBe('WSAEINVAL');
    expect(await rejectedCode(socket.send('x', undefined as never))).toBe('WSAEFAULT');
    expect(rec.calls).toEqual(['createDatagramSocket']);
    expect(socketState(socket)?.sentTo?.size).toBe(0);
    const error = await socket.send(7 as never, peer).catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/Buffer, Uint8Array or string/);
    socket.close();
  });

  it('refuses bad bind options and an address of the other family', async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket({ type: 'dgram' });
    expect(await rejectedCode(socket.bind('x' as never))).toBe('WSAEINVAL');
    expect(await rejectedCode(socket.bind({ host: '127.0.0.1' } as never))).toBe('WSAEINVAL');
    expect(await rejectedCode(socket.bind({ address: '::1' }))).toBe('WSAEAFNOSUPPORT');
    expect(await rejectedCode(socket.bind({ port: 70_000 }))).toBe('WSAEINVAL');
    expect(codeOf(() => socket.address())).toBe('WSAEINVAL');
    expect(rec.calls).toEqual(['createDatagramSocket']);
    socket.close();
  });

  it("delivers the driver's messages with a dgram-like rinfo", async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket({ type: 'dgram', family: 'ipv6' });
    const got = new Promise<[Buffer, unknown]>((resolve) =>
      socket.once('message', (m, r) => resolve([m, r])),
    );
    rec.datagrams[0]?.events.message(Buffer.from('ping'), { address: '::1', port: 5000, family: 'ipv6' });
    const [msg, rinfo] = await got;
    expect(msg.toString()).toBe('ping');
    expect(rinfo).toEqual({ address: '::1', family: 'IPv6', port: 5000, size: 4 });
    socket.close();
  });

  it('a driver error is emitted as a SecureSocketError, then the socket closes', async () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket({ type: 'dgram' });
    const errors: unknown[] = [];
    socket.on('error', (e) => errors.push(e));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    rec.datagrams[0]?.events.error(Object.assign(new Error('recvfrom failed'), { code: 'ECONNRESET' }));
    await closed;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'WSAECONNRESET' });
    expect(socket.closed).toBe(true);
    // Nothing is delivered after close.
    const late: unknown[] = [];
    socket.on('message', (m) => late.push(m));
    rec.datagrams[0]?.events.message(Buffer.from('late'), { address: '127.0.0.1', port: 1, family: 'ipv4' });
    expect(late).toEqual([]);
  });

  it('close is idempotent, runs callbacks on close, and ref/unref reach the driver only while open', async () => {
    const rec = createRecordingBackend();
    const socket: SecureDatagramSocket = rec.backend.createSocket({ type: 'dgram' });
    expect(socket.stats()).toEqual({});
    expect(socket.unref()).toBe(socket);
    expect(socket.ref()).toBe(socket);
    let calls = 0;
    await new Promise<void>((resolve) => {
      socket.close(() => calls++);
      socket.close(() => {
        calls++;
        resolve();
      });
    });
    await new Promise<void>((resolve) => socket.close(resolve));
    socket.ref();
    expect(calls).toBe(2);
    expect(rec.calls.filter((c) => c.startsWith('dgram.'))).toEqual([
      'dgram.unref',
      'dgram.ref',
      'dgram.close',
    ]);
    expect(codeOf(() => socket.close(5 as never))).toBe('ERR_WSASEC_INVALID_ARGUMENT');
  });

  it('backend.close closes every open datagram socket', async () => {
    const rec = createRecordingBackend();
    const a = rec.backend.createSocket({ type: 'dgram' });
    const b = rec.backend.createSocket({ type: 'dgram', family: 'ipv6' });
    await rec.backend.close();
    expect(a.closed && b.closed).toBe(true);
    expect(rec.calls.filter((c) => c === 'dgram.close')).toHaveLength(2);
  });

  it('passes each target name to the driver with its peer, and deletes by peer', () => {
    const rec = createRecordingBackend();
    const socket = rec.backend.createSocket({ type: 'dgram' });
    socket.setSecurity({ protocol: 'ipsec' });
    socket.setPeerTargetName({ name: 'host/a', peerAddress: { address: '10.0.0.1', port: 500 } });
    socket.deletePeerTargetName({ address: '10.0.0.1', port: 500 });
    socket.deletePeerTargetName({ address: '10.0.0.9', port: 1 });
    expect(socketState(socket)?.targetNames.size).toBe(0);
    expect(rec.calls).toEqual([
      'createDatagramSocket',
      'dgram.setSecurity',
      'dgram.setPeerTargetName',
      'dgram.deletePeerTargetName',
      'dgram.deletePeerTargetName',
    ]);
    socket.close();
  });
});
