import type { SecureDatagramSocket, SecureSocketBackend } from '@wsasec/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ESP_HEADER_SIZE, KIND_ESP } from '../../src/datagram/wire.js';
import { createSimBackend, ReplayWindow, type SimDatagramStats } from '../../src/index.js';
import { type Relay, startRelay } from '../support/dgram-relay.js';
import { contosoRealm } from '../support/fixture.js';

describe('ReplayWindow (RFC 4303 §3.4.3)', () => {
  it('accepts new numbers in any order inside the window, refuses repeats and the too old', () => {
    const w = new ReplayWindow(64);
    expect(w.check(0n)).toBe('out-of-window');
    for (const seq of [1n, 3n, 2n, 10n, 5n]) {
      expect(w.check(seq)).toBe('new');
      w.accept(seq);
    }
    expect(w.top).toBe(10n);
    expect(w.check(3n)).toBe('replay');
    expect(w.check(4n)).toBe('new');
    w.accept(100n);
    expect(w.check(36n)).toBe('out-of-window');
    expect(w.check(37n)).toBe('new');
    expect(w.check(100n)).toBe('replay');
    // A jump larger than the window forgets everything below it.
    w.accept(1_000n);
    expect(w.check(999n)).toBe('new');
    expect(w.check(936n)).toBe('out-of-window');
  });

  it('has a configurable size and refuses a size outside 1 – 4096', () => {
    const w = new ReplayWindow(8);
    w.accept(20n);
    expect(w.check(13n)).toBe('new');
    expect(w.check(12n)).toBe('out-of-window');
    expect(() => new ReplayWindow(0)).toThrow(/1 to 4096/);
    expect(() => new ReplayWindow(4097)).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
    );
  });

  it('a checked but never accepted number (a forged datagram) does not move the window', () => {
    const w = new ReplayWindow(64);
    w.accept(5n);
    expect(w.check(1_000_000n)).toBe('new');
    expect(w.top).toBe(5n);
    expect(w.check(4n)).toBe('new');
  });
});

const isEsp = (d: Buffer) =>
  d.length > ESP_HEADER_SIZE && d[4] === KIND_ESP && d.subarray(0, 4).toString() === 'WSKD';

describe('a lossy, reordering loopback run', () => {
  const open: { backends: SecureSocketBackend[]; relays: Relay[] } = { backends: [], relays: [] };
  afterEach(async () => {
    await Promise.all(open.relays.splice(0).map((r) => r.close()));
    await Promise.all(open.backends.splice(0).map((b) => b.close()));
  });

  async function run(total: number, replayWindow?: number) {
    const realm = contosoRealm();
    const client = createSimBackend({ realm, machine: 'client.contoso.com', cryptoWorker: false });
    const server = createSimBackend({
      realm,
      machine: 'server.contoso.com',
      cryptoWorker: false,
      ...(replayWindow ? { replayWindow } : {}),
    });
    open.backends.push(client, server);
    const s: SecureDatagramSocket = server.createSocket({ type: 'dgram' });
    s.setSecurity({ guaranteeEncryption: true });
    const { port } = await s.bind({ address: '127.0.0.1' });
    const relay = await startRelay(port, {
      seed: 0x5eed,
      drop: 0.05,
      duplicate: 0.05,
      reorder: 0.2,
      maxHold: 100,
      replay: 0.05,
      affects: isEsp,
    });
    open.relays.push(relay);
    const c = client.createSocket({ type: 'dgram' });
    c.setSecurity({ guaranteeEncryption: true });
    const peer = { address: '127.0.0.1', port: relay.port };
    c.setPeerTargetName({ name: 'host/server.contoso.com', peerAddress: peer });
    await c.bind({ address: '127.0.0.1' });
    const delivered = new Map<number, number>();
    s.on('message', (msg: Buffer) => {
      const n = msg.readUInt32BE(0);
      delivered.set(n, (delivered.get(n) ?? 0) + 1);
    });
    for (let i = 0; i < total; i++) {
      const msg = Buffer.alloc(32);
      msg.writeUInt32BE(i, 0);
      await c.send(msg, peer);
      // Let the relay and the server keep up, so the kernel never drops for lack of buffer.
      if (i % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
    }
    relay.flush();
    const stats = () => s.stats() as SimDatagramStats;
    const processed = () => {
      const t = stats();
      return t.delivered + t.droppedReplay + t.droppedOutOfWindow + t.droppedIntegrity + t.droppedNoSa;
    };
    const deadline = Date.now() + 10_000;
    while (processed() < relay.counts.forwarded && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { relay, stats: stats(), client: c.stats() as SimDatagramStats, delivered };
  }

  it('delivers each datagram at most once; every duplicate and too-late datagram is dropped and counted', async () => {
    const total = 2000;
    const { relay, stats, client, delivered } = await run(total);
    // Every datagram the relay forwarded was either delivered or dropped by the window, nothing else.
    expect(stats.delivered + stats.droppedReplay + stats.droppedOutOfWindow).toBe(relay.counts.forwarded);
    expect(stats.droppedIntegrity + stats.droppedNoSa + stats.droppedSpoofed + stats.droppedClear).toBe(0);
    expect([...delivered.values()].every((count) => count === 1)).toBe(true);
    expect(delivered.size).toBe(stats.delivered);
    expect([...delivered.keys()].every((n) => n >= 0 && n < total)).toBe(true);
    // The impairments happened, and the window had something to refuse of each kind.
    expect(client.sent).toBe(total + 0);
    expect(relay.counts.dropped).toBeGreaterThan(0);
    expect(stats.droppedReplay).toBeGreaterThan(0);
    expect(stats.droppedOutOfWindow).toBeGreaterThan(0);
    // Lost and reordered datagrams inside the window are fine: all that was not lost or late arrived.
    expect(stats.delivered).toBeGreaterThanOrEqual(total - relay.counts.dropped - stats.droppedOutOfWindow);
    const figures = {
      sent: client.sent,
      relayDropped: relay.counts.dropped,
      relayDuplicated: relay.counts.duplicated,
      relayReordered: relay.counts.reordered,
      relayReplayed: relay.counts.replayed,
      forwarded: relay.counts.forwarded,
      droppedReplay: stats.droppedReplay,
      droppedOutOfWindow: stats.droppedOutOfWindow,
      delivered: stats.delivered,
    };
    process.stdout.write(`anti-replay figures (window 64, seed 0x5eed): ${JSON.stringify(figures)}\n`);
  });

  it('a wider window turns late datagrams into deliveries', async () => {
    const narrow = await run(600);
    await Promise.all(open.relays.splice(0).map((r) => r.close()));
    await Promise.all(open.backends.splice(0).map((b) => b.close()));
    const wide = await run(600, 1024);
    expect(wide.stats.droppedOutOfWindow).toBe(0);
    expect(narrow.stats.droppedOutOfWindow).toBeGreaterThan(0);
    expect(wide.stats.delivered).toBeGreaterThan(narrow.stats.delivered);
    expect([...wide.delivered.values()].every((count) => count === 1)).toBe(true);
  });
});
