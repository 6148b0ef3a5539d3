import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { SecureSocket } from '@wsasec/core';
import { afterEach, describe, expect, it } from 'vitest';
import { SIM_CHANNELS, type SimBackendOptions } from '../../src/index.js';
import type { SecureChannel } from '../../src/protection/channel.js';
import { kChannel, type SimSocket } from '../../src/socket/socket.js';
import { contosoRealm, Harness, nextConnection, QM_INTEGRITY, QM_REKEY } from '../support/fixture.js';

const h = new Harness();
afterEach(() => h.close());

const ENCRYPTED = { guaranteeEncryption: true };
const INTEGRITY = { protocol: 'ipsec' as const, ipsec: { quickModePolicyKey: QM_INTEGRITY } };

async function pair(
  security: object,
  extra: Partial<SimBackendOptions> = {},
  realm = contosoRealm(),
): Promise<{ socket: SecureSocket; peer: SecureSocket; channel: SecureChannel }> {
  const server = h.backend({ realm, machine: 'server.contoso.com', ...extra });
  const client = h.backend({ realm, machine: 'client.contoso.com', ...extra });
  const { server: srv, port } = await h.server(server, { security });
  const accepted = nextConnection(srv);
  const socket = h.keep(
    await client.connect({ host: '127.0.0.1', port, security, peerTargetName: 'host/server.contoso.com' }),
  );
  const peer = h.keep(await accepted);
  const channel = (socket as unknown as SimSocket)[kChannel];
  if (!channel) throw new Error('the connection is not secured');
  return { socket, peer, channel };
}

/** Collects `n` bytes from `socket`. */
function receive(socket: SecureSocket, n: number): Promise<Buffer> {
  const got: Buffer[] = [];
  let total = 0;
  return new Promise((resolve) => {
    const onData = (d: Buffer) => {
      got.push(d);
      total += d.length;
      if (total >= n) {
        socket.off('data', onData);
        resolve(Buffer.concat(got));
      }
    };
    socket.on('data', onData);
  });
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed * 7) & 0xff;
  return b;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('write coalescing on the protected stream', () => {
  for (const [name, security] of [
    ['encrypted', ENCRYPTED],
    ['integrity-only', INTEGRITY],
  ] as const) {
    it(`${name}: 100 small writes in one tick leave in at most two frames, bytes and order exact`, async () => {
      const { socket, peer, channel } = await pair(security);
      const writes = Array.from({ length: 100 }, (_, i) => pattern(100, i));
      const expected = Buffer.concat(writes);
      const arriving = receive(peer, expected.length);
      const before = channel.framesSent;
      for (const w of writes) socket.write(w);
      const got = await arriving;
      expect(got.equals(expected)).toBe(true);
      // The first write goes out at once in its own frame; the 99 written while it was in progress
      // are handed over as one batch and sealed together.
      expect(channel.framesSent - before).toBeLessThanOrEqual(2);
    });
  }

  it('a lone write is sealed and handed to TCP in the same tick, before write() returns', async () => {
    const { socket, peer, channel } = await pair(ENCRYPTED);
    const tcp = (socket as unknown as { tcpSocket: { bytesWritten: number } }).tcpSocket;
    for (let i = 0; i < 3; i++) {
      const arriving = receive(peer, 5);
      const frames = channel.framesSent;
      const written = tcp.bytesWritten;
      socket.write(`ping${i}`);
      expect(channel.framesSent).toBe(frames + 1);
      expect(tcp.bytesWritten).toBeGreaterThan(written);
      expect((await arriving).toString()).toBe(`ping${i}`);
      await tick();
    }
  });

  it('write callbacks all run, in order, and the next tick write goes out at once again', async () => {
    const { socket, peer, channel } = await pair(ENCRYPTED);
    const arriving = receive(peer, 30);
    const order: number[] = [];
    for (let i = 0; i < 10; i++) socket.write('abc', () => order.push(i));
    await new Promise<void>((resolve) => socket.write('', () => resolve()));
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await arriving).toString()).toBe('abc'.repeat(10));
    const frames = channel.framesSent;
    socket.write('x');
    expect(channel.framesSent).toBe(frames + 1);
  });

  it('a buffer reused by the caller after its write callback does not change what was sent', async () => {
    const { socket, peer } = await pair(ENCRYPTED);
    const buf = Buffer.from('first!');
    const arriving = receive(peer, 12);
    socket.write(buf, () => buf.fill(0x78));
    socket.write(Buffer.from('second'));
    expect((await arriving).toString()).toBe('first!second');
  });

  for (const [name, security] of [
    ['encrypted', ENCRYPTED],
    ['integrity-only', INTEGRITY],
  ] as const) {
    it(`${name}: mixed sizes over many ticks, with frames smaller than a batch, arrive exact and in order`, async () => {
      const { socket, peer, channel } = await pair(security, { maxFrameSize: 4096 });
      const sizes = [1, 7, 100, 4095, 4096, 4097, 10_000, 65_536, 3, 200_000, 16_384, 1];
      const writes: Buffer[] = [];
      for (let round = 0; round < 4; round++)
        for (const [i, n] of sizes.entries()) writes.push(pattern(n, round * 100 + i));
      const expected = Buffer.concat(writes);
      const arriving = receive(peer, expected.length);
      const before = channel.framesSent;
      for (let i = 0; i < writes.length; i++) {
        socket.write(writes[i] as Buffer);
        if (i % 5 === 4) await tick();
      }
      const got = await arriving;
      expect(got.length).toBe(expected.length);
      expect(got.equals(expected)).toBe(true);
      // No frame carries more than maxFrameSize: at least this many frames were needed.
      expect(channel.framesSent - before).toBeGreaterThanOrEqual(Math.ceil(expected.length / 4096));
    });
  }

  it('coalesced batches still rekey at the byte lifetime, every byte intact', async () => {
    const realm = contosoRealm();
    realm.addPolicy({
      key: QM_REKEY,
      mode: 'quick',
      protection: 'encryption',
      lifetime: { bytes: 64 * 1024 },
    });
    const security = { protocol: 'ipsec2' as const, ipsec: { quickModePolicyKey: QM_REKEY } };
    const rekeys: unknown[] = [];
    const listener = (m: unknown) => rekeys.push(m);
    subscribe(SIM_CHANNELS.rekey, listener);
    try {
      const { socket, peer, channel } = await pair(security, {}, realm);
      const writes = Array.from({ length: 400 }, (_, i) => pattern(1000, i));
      const expected = Buffer.concat(writes);
      const arriving = receive(peer, expected.length);
      for (let i = 0; i < writes.length; i++) {
        socket.write(writes[i] as Buffer);
        if (i % 50 === 49) await tick();
      }
      expect((await arriving).equals(expected)).toBe(true);
      // The lifetime is checked before every frame, as it always was: an SA carries at most its
      // lifetime plus one frame (here a batch of at most 50 writes).
      const atLeast = Math.floor(expected.length / (64 * 1024 + 50 * 1000));
      expect(channel.outboundGeneration).toBeGreaterThanOrEqual(atLeast);
      expect(rekeys.length).toBeGreaterThanOrEqual(atLeast);
    } finally {
      unsubscribe(SIM_CHANNELS.rekey, listener);
    }
  });

  it('end() after a burst of writes delivers every byte, then the end', async () => {
    const { socket, peer } = await pair(ENCRYPTED);
    const chunks: Buffer[] = [];
    peer.on('data', (d: Buffer) => chunks.push(d));
    const ended = new Promise((resolve) => peer.once('end', resolve));
    const writes = Array.from({ length: 50 }, (_, i) => pattern(333, i));
    for (const w of writes) socket.write(w);
    socket.end();
    await ended;
    expect(Buffer.concat(chunks).equals(Buffer.concat(writes))).toBe(true);
  });

  it('destroy() with writes still batched fails nothing synchronously and leaks no callback', async () => {
    const { socket } = await pair(ENCRYPTED);
    socket.on('error', () => {});
    const results: (Error | null | undefined)[] = [];
    for (let i = 0; i < 5; i++) socket.write('abc', (e) => results.push(e));
    socket.destroy();
    await tick();
    await tick();
    // The first write was handed to TCP; the rest were dropped with the stream.
    expect(results.length).toBeLessThanOrEqual(5);
    expect(socket.destroyed).toBe(true);
  });
});
