/**
 * Datagram SA lifetimes, rekeying with a grace window for the replaced inbound SA, abort-on-change of
 * the IPSEC2 query per peer, and the responder's own target-name check. Time is the backends' clock
 * (`createSimBackend({ clock })`), moved by hand; ESP-like datagrams go through a relay that holds
 * every one of them, so each test decides which arrives, in which order, and how often.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  type DatagramRemoteInfo,
  type SecureDatagramSocket,
  type SecureSocketBackend,
  SecureSocketError,
  SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID,
  SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID,
} from '@wsasec/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ESP_HEADER_SIZE, KIND_ESP } from '../../src/datagram/wire.js';
import {
  createSimBackend,
  DEFAULT_REKEY_GRACE,
  SIM_CHANNELS,
  type SimBackendOptions,
  type SimDatagramStats,
} from '../../src/index.js';
import { type Relay, startRelay } from '../support/dgram-relay.js';
import { contosoRealm, QM_REKEY } from '../support/fixture.js';

const isEsp = (d: Buffer) => d.subarray(0, 4).toString() === 'WSKD' && d[4] === KIND_ESP;
const spiOf = (d: Buffer) => d.readUInt32BE(5);
const QM = { fieldMask: SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID };
/** The relay keeps every ESP-like datagram (in `seen`) and forwards none by itself. */
const HOLD_ESP = { seed: 1, drop: 1, duplicate: 0, reorder: 0, maxHold: 1, replay: 0, affects: isEsp };

const opened: { backends: SecureSocketBackend[]; relays: Relay[]; off: (() => void)[] } = {
  backends: [],
  relays: [],
  off: [],
};
afterEach(async () => {
  for (const off of opened.off.splice(0)) off();
  await Promise.all(opened.relays.splice(0).map((r) => r.close()));
  await Promise.all(opened.backends.splice(0).map((b) => b.close()));
});

/** A clock the test moves. */
function clock() {
  const c = { now: 1_800_000_000_000, read: () => c.now };
  return c;
}

function realmWith(lifetime: { bytes?: number; seconds?: number }) {
  const realm = contosoRealm();
  realm.addPolicy({ key: QM_REKEY, mode: 'quick', protection: 'encryption', lifetime });
  return realm;
}

const SECURITY = { protocol: 'ipsec2' as const, ipsec: { quickModePolicyKey: QM_REKEY } };

function backend(realm: ReturnType<typeof contosoRealm>, machine: string, extra: Partial<SimBackendOptions>) {
  const b = createSimBackend({ realm, machine, cryptoWorker: false, ...extra });
  opened.backends.push(b);
  return b;
}

function collect(socket: SecureDatagramSocket): string[] {
  const got: string[] = [];
  socket.on('message', (m: Buffer) => got.push(m.toString()));
  return got;
}

/** Waits until `check` holds (bounded). */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets loopback datagrams land (the receiver counts or delivers them). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

const stats = (s: SecureDatagramSocket) => s.stats() as SimDatagramStats;

/** Waits until `counter` of `socket` reaches `n`, then a little more: it must not go past `n`. */
async function counted(socket: SecureDatagramSocket, counter: keyof SimDatagramStats, n: number) {
  await until(() => stats(socket)[counter] >= n);
  await settle();
  expect(stats(socket)[counter]).toBe(n);
}

/**
 * A server and a client with the rekeying policy and a shared hand-moved clock; the client sends
 * through a relay holding every ESP-like datagram.
 */
async function pair(lifetime: { bytes?: number; seconds?: number }, extra: Partial<SimBackendOptions> = {}) {
  const realm = realmWith(lifetime);
  const time = clock();
  const options = { clock: time.read, ...extra };
  const server = backend(realm, 'server.contoso.com', options).createSocket({ type: 'dgram' });
  server.setSecurity(SECURITY);
  const { port } = await server.bind({ address: '127.0.0.1' });
  const relay = await startRelay(port, HOLD_ESP);
  opened.relays.push(relay);
  const client = backend(realm, 'client.contoso.com', options).createSocket({ type: 'dgram' });
  client.setSecurity(SECURITY);
  const viaRelay = { address: '127.0.0.1', port: relay.port };
  const got = collect(server);
  return { server, client, relay, time, viaRelay, got, serverPeer: { address: '127.0.0.1', port } };
}

/** Sends through `relay` and returns the datagram once the relay holds it. */
async function sendHeld(
  socket: SecureDatagramSocket,
  relay: Relay,
  text: string,
  to: { address: string; port: number },
): Promise<Buffer> {
  const n = relay.seen.length;
  await socket.send(text, to);
  await until(() => relay.seen.length > n);
  return relay.seen[n] as Buffer;
}

/** The ESP-like datagram the client sent last (held by the relay). */
const last = (relay: Relay) => relay.seen[relay.seen.length - 1] as Buffer;

describe('datagram SA lifetimes and rekeying', () => {
  it('a byte lifetime rekeys the sender: each datagram delivered once, new SPI and QM SA id, same MM SA', async () => {
    const { server, client, relay, viaRelay, got } = await pair({ bytes: 100 });
    const seen: { direction: unknown; qmSaId: unknown; peerPort: unknown }[] = [];
    const listener = (m: unknown) => seen.push(m as (typeof seen)[number]);
    subscribe(SIM_CHANNELS.rekey, listener);
    opened.off.push(() => unsubscribe(SIM_CHANNELS.rekey, listener));
    for (let i = 0; i < 10; i++) {
      await sendHeld(client, relay, `datagram ${i} ${'x'.repeat(30)}`, viaRelay);
      relay.inject(last(relay));
      await until(() => got.length === i + 1);
    }
    expect(got.map((g) => g.split(' ')[1])).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // 40 bytes a datagram, 100 bytes a lifetime: a new SA every third datagram.
    expect(stats(client).rekeysOutbound).toBe(3);
    expect(stats(server).rekeysInbound).toBe(3);
    expect(new Set(relay.seen.map(spiOf)).size).toBe(4);
    // Every SA encrypts: no datagram on the wire carries its payload.
    expect(relay.seen.some((d) => d.includes('datagram'))).toBe(false);
    expect(seen.filter((e) => e.direction === 'outbound')).toHaveLength(3);
    expect(seen.filter((e) => e.direction === 'inbound')).toHaveLength(3);
    using fromClient = client.querySecurity({ peerAddress: viaRelay, ipsec2: QM });
    // The server knows the client by the relay's address (the relay sends from its own port).
    using fromServer = server.querySecurity({ peerAddress: viaRelay, ipsec2: QM });
    expect(fromClient.qmSaId).toBe(fromServer.qmSaId);
    expect(fromClient.mmSaId).toBe(fromServer.mmSaId);
    expect(stats(server).droppedIntegrity + stats(server).droppedNoSa + stats(server).droppedExpired).toBe(0);
  });

  it('a time lifetime rekeys on the first send after it passed (backend clock), not before', async () => {
    const { server, client, relay, time, viaRelay, got } = await pair({ seconds: 60 });
    await sendHeld(client, relay, 'first', viaRelay);
    relay.inject(last(relay));
    await until(() => got.length === 1);
    using before = client.querySecurity({ peerAddress: viaRelay, ipsec2: QM });
    time.now += 59_000;
    await sendHeld(client, relay, 'within the lifetime', viaRelay);
    relay.inject(last(relay));
    await until(() => got.length === 2);
    expect(stats(client).rekeysOutbound).toBe(0);
    time.now += 2_000;
    await sendHeld(client, relay, 'after the lifetime', viaRelay);
    relay.inject(last(relay));
    await until(() => got.length === 3);
    expect(got).toEqual(['first', 'within the lifetime', 'after the lifetime']);
    expect(stats(client).rekeysOutbound).toBe(1);
    expect(stats(server).rekeysInbound).toBe(1);
    using after = client.querySecurity({ peerAddress: viaRelay, ipsec2: QM });
    expect(after.qmSaId).not.toBe(before.qmSaId);
    expect(after.mmSaId).toBe(before.mmSaId);
    expect(spiOf(relay.seen[2] as Buffer)).not.toBe(spiOf(relay.seen[1] as Buffer));
  });

  it('datagrams in flight under the old SA are delivered within the grace window, once each', async () => {
    const { server, client, relay, time, viaRelay, got } = await pair({ seconds: 60 });
    await sendHeld(client, relay, 'old 1', viaRelay);
    await sendHeld(client, relay, 'old 2', viaRelay);
    const [old1, old2] = relay.seen as [Buffer, Buffer];
    time.now += 61_000;
    await sendHeld(client, relay, 'new 1', viaRelay);
    // The new SA's datagram overtakes both old ones.
    relay.inject(last(relay));
    await until(() => got.length === 1);
    expect(stats(server).rekeysInbound).toBe(1);
    time.now += DEFAULT_REKEY_GRACE - 1;
    relay.inject(old2);
    relay.inject(old1);
    await until(() => got.length === 3);
    expect(got).toEqual(['new 1', 'old 2', 'old 1']);
    // Replays across the rekey: of an old-SA datagram (its window still held) and of a new one.
    relay.inject(old1);
    relay.inject(last(relay));
    await counted(server, 'droppedReplay', 2);
    expect(got).toHaveLength(3);
  });

  it('the replaced inbound SA is refused once the grace window is over (counted, nothing delivered)', async () => {
    const { server, client, relay, time, viaRelay, got } = await pair({ seconds: 60 }, { rekeyGrace: 5_000 });
    await sendHeld(client, relay, 'old, held too long', viaRelay);
    await sendHeld(client, relay, 'old, replayed late', viaRelay);
    const [held, replayed] = relay.seen as [Buffer, Buffer];
    relay.inject(replayed);
    await until(() => got.length === 1);
    time.now += 61_000;
    await sendHeld(client, relay, 'new', viaRelay);
    relay.inject(last(relay));
    await until(() => got.length === 2);
    time.now += 5_000;
    relay.inject(held);
    relay.inject(replayed);
    await counted(server, 'droppedExpired', 2);
    expect(got).toEqual(['old, replayed late', 'new']);
    expect(stats(server).droppedReplay).toBe(0);
    // Once removed, the old SPI stays refused as expired (not as an unknown SA).
    relay.inject(held);
    await counted(server, 'droppedExpired', 3);
    expect(stats(server).droppedNoSa).toBe(0);
    expect(got).toHaveLength(2);
  });

  it('rekeyGrace 0 refuses the old SA as soon as the new one authenticated a datagram', async () => {
    const { server, client, relay, time, viaRelay, got } = await pair({ seconds: 60 }, { rekeyGrace: 0 });
    await sendHeld(client, relay, 'old', viaRelay);
    const old = last(relay);
    time.now += 61_000;
    await sendHeld(client, relay, 'new', viaRelay);
    relay.inject(last(relay));
    await until(() => got.length === 1);
    relay.inject(old);
    await counted(server, 'droppedExpired', 1);
    expect(got).toEqual(['new']);
  });

  it('a peer whose datagrams under several SAs were all lost is found again at its current SA', async () => {
    const { server, client, relay, viaRelay, got } = await pair({ bytes: 10 });
    // 10 bytes a lifetime, 16 bytes a datagram: every datagram after the first rekeys first.
    for (let i = 0; i < 6; i++) await sendHeld(client, relay, `lost ${i} padding`, viaRelay);
    await sendHeld(client, relay, 'arrives', viaRelay);
    relay.inject(last(relay));
    await until(() => got.length === 1);
    expect(got).toEqual(['arrives']);
    expect(stats(client).rekeysOutbound).toBe(6);
    expect(stats(server).rekeysInbound).toBe(1);
    using a = client.querySecurity({ peerAddress: viaRelay, ipsec2: QM });
    using b = server.querySecurity({ peerAddress: viaRelay, ipsec2: QM });
    expect(a.qmSaId).toBe(b.qmSaId);
  });

  it('a forged datagram under the next SPI neither rekeys nor delivers (integrity, QM SA id unchanged)', async () => {
    const { server, client, relay, time, viaRelay, got } = await pair({ seconds: 60 });
    await sendHeld(client, relay, 'genuine', viaRelay);
    relay.inject(last(relay));
    await until(() => got.length === 1);
    using before = server.querySecurity({ peerAddress: viaRelay, ipsec2: QM });
    time.now += 61_000;
    await sendHeld(client, relay, 'next SA', viaRelay);
    const next = Buffer.from(last(relay));
    // Flip one ciphertext bit, then a sequence-number bit: both must fail the tag.
    const flipped = Buffer.from(next);
    flipped[ESP_HEADER_SIZE] = (flipped[ESP_HEADER_SIZE] as number) ^ 1;
    const reseq = Buffer.from(next);
    reseq[ESP_HEADER_SIZE - 1] = (reseq[ESP_HEADER_SIZE - 1] as number) ^ 2;
    relay.inject(flipped);
    relay.inject(reseq);
    await counted(server, 'droppedIntegrity', 2);
    expect(got).toEqual(['genuine']);
    expect(stats(server).rekeysInbound).toBe(0);
    using same = server.querySecurity({ peerAddress: viaRelay, ipsec2: QM });
    expect(same.qmSaId).toBe(before.qmSaId);
    // The genuine one still rekeys and is delivered.
    relay.inject(next);
    await until(() => got.length === 2);
    expect(stats(server).rekeysInbound).toBe(1);
  });

  it('both directions rekey on their own and the two ends agree on the QM SA id', async () => {
    const { server, client, relay, time, viaRelay, got } = await pair({ seconds: 60 });
    const back: string[] = [];
    client.on('message', (m: Buffer) => back.push(m.toString()));
    // The server answers the relay's address; the relay forwards answers untouched.
    server.on('message', (m: Buffer, r: DatagramRemoteInfo) => {
      void server.send(`echo ${m}`, { address: r.address, port: r.port });
    });
    await sendHeld(client, relay, 'a', viaRelay);
    relay.inject(last(relay));
    await until(() => back.length === 1);
    time.now += 61_000;
    await sendHeld(client, relay, 'b', viaRelay);
    relay.inject(last(relay));
    await until(() => back.length === 2);
    expect(back).toEqual(['echo a', 'echo b']);
    expect(got).toEqual(['a', 'b']);
    for (const s of [client, server]) {
      expect(stats(s).rekeysOutbound).toBe(1);
      expect(stats(s).rekeysInbound).toBe(1);
    }
    using a = client.querySecurity({ peerAddress: viaRelay, ipsec2: QM });
    using b = server.querySecurity({ peerAddress: viaRelay, ipsec2: QM });
    expect(a.qmSaId).toBe(b.qmSaId);
  });
});

describe('datagram abort-on-change (SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE)', () => {
  const aborted = (error: unknown) =>
    SecureSocketError.isInstance(error) && (error as SecureSocketError).code === 'WSAECONNABORTED';

  it('a receiver watching the QM SA id tears that peer down on its rekey: nothing delivered, WSAECONNABORTED after', async () => {
    const { server, client, relay, time, viaRelay, got } = await pair({ seconds: 60 });
    await sendHeld(client, relay, 'before', viaRelay);
    relay.inject(last(relay));
    await until(() => got.length === 1);
    using watched = server.querySecurity({
      peerAddress: viaRelay,
      ipsec2: { ...QM, abortOnFieldChange: true },
    });
    expect(watched.qmSaId).toBeTypeOf('bigint');
    await sendHeld(client, relay, 'still the same SA', viaRelay);
    relay.inject(last(relay));
    await until(() => got.length === 2);
    time.now += 61_000;
    await sendHeld(client, relay, 'under the next SA', viaRelay);
    relay.inject(last(relay));
    await until(() => stats(server).aborted === 1);
    expect(got).toEqual(['before', 'still the same SA']);
    expect(stats(server).droppedAborted).toBe(1);
    expect(() => server.querySecurity({ peerAddress: viaRelay, ipsec2: QM })).toThrow(
      expect.objectContaining({ code: 'WSAECONNABORTED' }),
    );
    expect(() => server.impersonatePeer(() => 1, viaRelay)).toThrow(
      expect.objectContaining({ code: 'WSAECONNABORTED' }),
    );
    await expect(server.send('answer', viaRelay)).rejects.toSatisfy(aborted);
    // The old SA is gone too: a datagram of it (grace window or not) is dropped, not delivered.
    relay.inject(relay.seen[1] as Buffer);
    await sendHeld(client, relay, 'later', viaRelay);
    relay.inject(last(relay));
    await counted(server, 'droppedAborted', 3);
    expect(got).toHaveLength(2);
    // Nor does clear text from that peer get through.
    relay.inject(Buffer.from('clear text from the aborted peer'));
    await counted(server, 'droppedAborted', 4);
    expect(got).toHaveLength(2);
    expect(stats(server).droppedClear).toBe(0);
  });

  it('a sender watching the QM SA id fails the send that would rekey; nothing leaves; other peers go on', async () => {
    const { client, relay, time, viaRelay, got } = await pair({ seconds: 60 });
    await sendHeld(client, relay, 'before', viaRelay);
    relay.inject(last(relay));
    await until(() => got.length === 1);
    using _ = client.querySecurity({ peerAddress: viaRelay, ipsec2: { ...QM, abortOnFieldChange: true } });
    time.now += 61_000;
    const sent = relay.seen.length;
    await expect(client.send('under the next SA', viaRelay)).rejects.toSatisfy(aborted);
    await settle();
    expect(relay.seen).toHaveLength(sent);
    expect(stats(client).aborted).toBe(1);
    await expect(client.send('again', viaRelay)).rejects.toSatisfy(aborted);
  });

  it('the abort is per peer: a second peer of the same socket keeps its SA', async () => {
    const { server, client, relay, time, viaRelay, got } = await pair({ seconds: 60 });
    // A second socket of the client's backend, through a second relay, to the same server.
    const relay2 = await startRelay(server.address().port, HOLD_ESP);
    opened.relays.push(relay2);
    const other = (opened.backends[1] as SecureSocketBackend).createSocket({ type: 'dgram' });
    other.setSecurity(SECURITY);
    const via2 = { address: '127.0.0.1', port: relay2.port };
    await sendHeld(client, relay, 'one', viaRelay);
    relay.inject(last(relay));
    await sendHeld(other, relay2, 'two', via2);
    relay2.inject(last(relay2));
    await until(() => got.length === 2);
    using _a = server.querySecurity({ peerAddress: viaRelay, ipsec2: { ...QM, abortOnFieldChange: true } });
    using _b = server.querySecurity({ peerAddress: via2, ipsec2: QM });
    time.now += 61_000;
    await sendHeld(client, relay, 'aborts', viaRelay);
    relay.inject(last(relay));
    await sendHeld(other, relay2, 'rekeys, not watched', via2);
    relay2.inject(last(relay2));
    await until(() => got.length === 3 && stats(server).aborted === 1);
    expect(got.sort()).toEqual(['one', 'rekeys, not watched', 'two']);
    await server.send('to the other peer', via2);
  });

  it('abortOnFieldChange watching only the MM SA id does not abort on a QM rekey', async () => {
    const { server, client, relay, time, viaRelay, got } = await pair({ seconds: 60 });
    await sendHeld(client, relay, 'before', viaRelay);
    relay.inject(last(relay));
    await until(() => got.length === 1);
    using _ = server.querySecurity({
      peerAddress: viaRelay,
      ipsec2: { fieldMask: SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID, abortOnFieldChange: true },
    });
    time.now += 61_000;
    await sendHeld(client, relay, 'after', viaRelay);
    relay.inject(last(relay));
    await until(() => got.length === 2);
    expect(stats(server).aborted).toBe(0);
  });
});

describe('the responder checks the target name it set for a peer', () => {
  async function named(name: string | undefined, ipsec: Record<string, unknown> = {}) {
    const realm = contosoRealm();
    const security = { ipsec };
    const server = backend(realm, 'server.contoso.com', {}).createSocket({ type: 'dgram' });
    server.setSecurity(security);
    const { port } = await server.bind({ address: '127.0.0.1' });
    const client = backend(realm, 'client.contoso.com', {}).createSocket({ type: 'dgram' });
    client.setSecurity(security);
    const clientAt = await client.bind({ address: '127.0.0.1' });
    const clientPeer = { address: '127.0.0.1', port: clientAt.port };
    if (name) server.setPeerTargetName({ name, peerAddress: clientPeer });
    const got = collect(server);
    return { server, client, clientPeer, serverPeer: { address: '127.0.0.1', port }, got };
  }

  it('an initiator that does not hold the name is refused: AUTHORIZATION_FAILURE to it, no SA, nothing delivered', async () => {
    const { server, client, clientPeer, serverPeer, got } = await named('host/rogue.contoso.com');
    const failure = await client.send('must not arrive', serverPeer).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({
      code: 'ERR_WSASEC_NEGOTIATION_FAILED',
      negotiationError: 13_905 /* ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE */,
    });
    await settle();
    expect(got).toEqual([]);
    expect(stats(server)).toMatchObject({ refusedPeerName: 1, negotiations: 0, delivered: 0 });
    expect(stats(client).negotiations).toBe(0);
    expect(() => server.querySecurity({ peerAddress: clientPeer })).toThrow(
      expect.objectContaining({ code: 'WSAEINVAL' }),
    );
    // Sending to that peer itself, the server is the initiator and refuses it by the same name.
    await expect(server.send('nor this', clientPeer)).rejects.toMatchObject({
      code: 'ERR_WSASEC_PEER_NAME_MISMATCH',
    });
  });

  it('a name set for the whole address (port 0) is checked too', async () => {
    const { server, client, clientPeer, serverPeer } = await named(undefined);
    server.setPeerTargetName({
      name: 'host/rogue.contoso.com',
      peerAddress: { address: clientPeer.address, port: 0 },
    });
    await expect(client.send('x', serverPeer)).rejects.toMatchObject({
      code: 'ERR_WSASEC_NEGOTIATION_FAILED',
    });
    expect(stats(server).refusedPeerName).toBe(1);
  });

  it('the right name, optionalPeerNameVerification, or no name: the SA is made and the datagram delivered', async () => {
    for (const [name, ipsec] of [
      ['host/client.contoso.com', {}],
      ['host/rogue.contoso.com', { optionalPeerNameVerification: true }],
      [undefined, {}],
    ] as const) {
      const { server, client, serverPeer, got } = await named(name, ipsec);
      await client.send('welcome', serverPeer);
      await until(() => got.length === 1);
      expect(stats(server)).toMatchObject({ refusedPeerName: 0, negotiations: 1 });
    }
  });
});

describe('rekeyGrace option', () => {
  it.each([-1, 1.5, 3_600_001, '10', null])('refuses %p with ERR_WSASEC_INVALID_ARGUMENT', (value) => {
    expect(() =>
      createSimBackend({
        realm: contosoRealm(),
        machine: 'server.contoso.com',
        rekeyGrace: value as number,
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }));
  });
});
