import * as dgram from 'node:dgram';
import {
  type DatagramRemoteInfo,
  type SecureDatagramSocket,
  type SecureSocketBackend,
  SOCKET_INFO_CONNECTION_ENCRYPTED,
  SOCKET_INFO_CONNECTION_SECURED,
  TOKEN_QUERY,
} from '@wsasec/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ESP_HEADER_SIZE, KIND_ESP, KIND_NEGOTIATE } from '../../src/datagram/wire.js';
import { createSimBackend, type SimBackendOptions, type SimDatagramStats } from '../../src/index.js';
import { type Relay, startRelay } from '../support/dgram-relay.js';
import { contosoRealm, QM_INTEGRITY } from '../support/fixture.js';

const kindOf = (d: Buffer) => (d.subarray(0, 4).toString() === 'WSKD' ? d[4] : undefined);
const isEsp = (d: Buffer) => kindOf(d) === KIND_ESP;
const NONE = { seed: 1, drop: 0, duplicate: 0, reorder: 0, maxHold: 1, replay: 0 };

const opened: { backends: SecureSocketBackend[]; relays: Relay[]; plain: dgram.Socket[] } = {
  backends: [],
  relays: [],
  plain: [],
};
afterEach(async () => {
  await Promise.all(opened.relays.splice(0).map((r) => r.close()));
  await Promise.all(
    opened.plain.splice(0).map((p) => new Promise<void>((resolve) => p.close(() => resolve()))),
  );
  await Promise.all(opened.backends.splice(0).map((b) => b.close()));
});

const realm = contosoRealm();
function backend(machine: string, extra: Partial<SimBackendOptions> = {}) {
  const b = createSimBackend({ realm, machine, cryptoWorker: false, ...extra });
  opened.backends.push(b);
  return b;
}

async function boundServer(
  b: SecureSocketBackend,
  security?: Parameters<SecureDatagramSocket['setSecurity']>[0],
) {
  const socket = b.createSocket({ type: 'dgram' });
  socket.setSecurity(security);
  const { port } = await socket.bind({ address: '127.0.0.1' });
  return { socket, peer: { address: '127.0.0.1', port } };
}

function next(socket: SecureDatagramSocket, ms = 5000): Promise<[Buffer, DatagramRemoteInfo]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message')), ms);
    socket.once('message', (m: Buffer, r: DatagramRemoteInfo) => {
      clearTimeout(timer);
      resolve([m, r]);
    });
  });
}

async function plainSocket(): Promise<dgram.Socket> {
  const p = dgram.createSocket('udp4');
  opened.plain.push(p);
  await new Promise<void>((resolve) => p.bind(0, '127.0.0.1', resolve));
  return p;
}

/** Waits until `check` holds (bounded). */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('sim datagram sockets', () => {
  it('encrypts with an encryption SA and only authenticates with an integrity SA (payload on the wire)', async () => {
    for (const [security, visible] of [
      [{ guaranteeEncryption: true }, false],
      [{ protocol: 'ipsec' as const, ipsec: { quickModePolicyKey: QM_INTEGRITY } }, true],
    ] as const) {
      const server = await boundServer(backend('server.contoso.com'), security);
      const relay = await startRelay(server.peer.port, { ...NONE, affects: isEsp });
      opened.relays.push(relay);
      const client = backend('client.contoso.com').createSocket({ type: 'dgram' });
      client.setSecurity(security);
      const arriving = next(server.socket);
      await client.send('secret payload', { address: '127.0.0.1', port: relay.port });
      expect((await arriving)[0].toString()).toBe('secret payload');
      expect(relay.seen.some((d) => d.includes('secret payload'))).toBe(visible);
      using info = client.querySecurity({ peerAddress: { address: '127.0.0.1', port: relay.port } });
      expect(info.flags & SOCKET_INFO_CONNECTION_SECURED).toBe(SOCKET_INFO_CONNECTION_SECURED);
      expect((info.flags & SOCKET_INFO_CONNECTION_ENCRYPTED) !== 0).toBe(!visible);
    }
  });

  it('drops a tampered datagram (integrity) and delivers nothing of it', async () => {
    const server = await boundServer(backend('server.contoso.com'), { guaranteeEncryption: true });
    const relay = await startRelay(server.peer.port, { ...NONE, drop: 1, affects: isEsp });
    opened.relays.push(relay);
    const client = backend('client.contoso.com').createSocket({ type: 'dgram' });
    client.setSecurity({ guaranteeEncryption: true });
    const delivered: Buffer[] = [];
    server.socket.on('message', (m: Buffer) => delivered.push(m));
    await client.send('original', { address: '127.0.0.1', port: relay.port });
    await until(() => relay.seen.length === 1);
    const forged = Buffer.from(relay.seen[0] as Buffer);
    forged[ESP_HEADER_SIZE] = (forged[ESP_HEADER_SIZE] as number) ^ 0xff;
    relay.inject(forged);
    await until(() => (server.socket.stats() as SimDatagramStats).droppedIntegrity === 1);
    // The forged copy did not consume its sequence number: the authentic one is still accepted.
    relay.inject(relay.seen[0] as Buffer);
    await until(() => delivered.length === 1);
    expect(delivered.map(String)).toEqual(['original']);
  });

  it('drops an authentic datagram sent from another address (spoofed source)', async () => {
    const server = await boundServer(backend('server.contoso.com'), { guaranteeEncryption: true });
    const relay = await startRelay(server.peer.port, { ...NONE, drop: 1, affects: isEsp });
    opened.relays.push(relay);
    const client = backend('client.contoso.com').createSocket({ type: 'dgram' });
    client.setSecurity({ guaranteeEncryption: true });
    const delivered: Buffer[] = [];
    server.socket.on('message', (m: Buffer) => delivered.push(m));
    await client.send('from the relay only', { address: '127.0.0.1', port: relay.port });
    await until(() => relay.seen.length === 1);
    const attacker = await plainSocket();
    attacker.send(relay.seen[0] as Buffer, server.peer.port, '127.0.0.1');
    await until(() => (server.socket.stats() as SimDatagramStats).droppedSpoofed === 1);
    expect(delivered).toEqual([]);
  });

  it('retransmits lost negotiation datagrams (bounded) and still establishes the SA', async () => {
    const server = await boundServer(backend('server.contoso.com'));
    // Drop the first two negotiation datagrams the client sends (its INIT and a retransmission).
    let dropped = 0;
    const relay = await startRelay(server.peer.port, {
      ...NONE,
      drop: 1,
      affects: (d) => kindOf(d) === KIND_NEGOTIATE && dropped++ < 2,
    });
    opened.relays.push(relay);
    const client = backend('client.contoso.com').createSocket({ type: 'dgram' });
    client.setSecurity();
    const arriving = next(server.socket);
    await client.send('after retransmission', { address: '127.0.0.1', port: relay.port });
    expect((await arriving)[0].toString()).toBe('after retransmission');
    expect((client.stats() as SimDatagramStats).retransmissions).toBe(2);
    expect((client.stats() as SimDatagramStats).negotiations).toBe(1);
  });

  it('keeps one target name per peer: each peer must prove its own name', async () => {
    const a = await boundServer(backend('server.contoso.com'));
    const b = await boundServer(backend('rogue.contoso.com'));
    const client = backend('client.contoso.com').createSocket({ type: 'dgram' });
    client.setSecurity();
    client.setPeerTargetName({ name: 'host/server.contoso.com', peerAddress: a.peer });
    client.setPeerTargetName({ name: 'host/rogue.contoso.com', peerAddress: b.peer });
    await client.send('a', a.peer);
    await client.send('b', b.peer);
    for (const [peer, machine] of [
      [a.peer, 'SERVER$'],
      [b.peer, 'ROGUE$'],
    ] as const) {
      using info = client.querySecurity({ peerAddress: peer, tokenAccess: TOKEN_QUERY });
      expect(info.peerMachineToken?.user.name).toBe(machine);
    }
    const other = backend('client.contoso.com').createSocket({ type: 'dgram' });
    other.setSecurity();
    other.setPeerTargetName({ name: 'host/server.contoso.com', peerAddress: b.peer });
    const delivered: Buffer[] = [];
    b.socket.on('message', (m: Buffer) => delivered.push(m));
    await expect(other.send('not for the rogue', b.peer)).rejects.toMatchObject({
      code: 'ERR_WSASEC_PEER_NAME_MISMATCH',
      negotiationError: 13905,
    });
    expect(() => other.querySecurity({ peerAddress: b.peer })).toThrow(
      expect.objectContaining({ code: 'WSAEINVAL' }),
    );
    expect(delivered.map(String)).toEqual(['b']);
  });

  it('a deleted name no longer applies to a later negotiation with that peer', async () => {
    const rogue = await boundServer(backend('rogue.contoso.com'));
    const client = backend('client.contoso.com').createSocket({ type: 'dgram' });
    client.setSecurity();
    client.setPeerTargetName({ name: 'host/server.contoso.com', peerAddress: rogue.peer });
    client.deletePeerTargetName(rogue.peer);
    await client.send('no name asked', rogue.peer);
    using info = client.querySecurity({ peerAddress: rogue.peer, tokenAccess: TOKEN_QUERY });
    expect(info.peerMachineToken?.user.name).toBe('ROGUE$');
  });

  it('the receiver impersonates the sending user, and its tokens name alice', async () => {
    const server = await boundServer(backend('server.contoso.com'));
    const client = backend('client.contoso.com', { user: 'alice' }).createSocket({ type: 'dgram' });
    client.setSecurity({
      protocol: 'ipsec',
      ipsec: { mainModePolicyKey: '33333333-3333-4333-8333-333333333333' },
    });
    const arriving = next(server.socket);
    await client.send('hi', server.peer);
    const [, rinfo] = await arriving;
    const from = { address: rinfo.address, port: rinfo.port };
    const serverBackend = opened.backends[0] as SecureSocketBackend;
    expect(server.socket.impersonatePeer(() => serverBackend.currentIdentity().name, from)).toBe('alice');
    expect(serverBackend.currentIdentity().name).toBe('SERVER$');
    using info = server.socket.querySecurity({ peerAddress: from, tokenAccess: TOKEN_QUERY });
    expect(info.peerApplicationToken?.user.name).toBe('alice');
    expect(info.peerMachineToken?.user.name).toBe('CLIENT$');
  });

  it('allowInsecure falls back to clear text with a peer without security; otherwise the send fails', async () => {
    const plain = await plainSocket();
    const peer = { address: '127.0.0.1', port: plain.address().port };
    const received: string[] = [];
    plain.on('message', (m) => received.push(m.toString()));
    const lenient = backend('client.contoso.com', { clearFallbackDelay: 300 }).createSocket({
      type: 'dgram',
    });
    lenient.setSecurity({ protocol: 'ipsec2', allowInsecure: true });
    await lenient.send('in clear', peer);
    await until(() => received.includes('in clear'));
    using info = lenient.querySecurity({ peerAddress: peer, ipsec2: {} });
    expect(info.flags).toBe(0);
    expect(info.negotiationError).toBe(13805);
    const strict = backend('client.contoso.com', { handshakeTimeout: 400 }).createSocket({ type: 'dgram' });
    strict.setSecurity();
    await expect(strict.send('never in clear', peer)).rejects.toMatchObject({
      code: 'ERR_WSASEC_NEGOTIATION_FAILED',
      negotiationError: 13805,
    });
    expect(received).not.toContain('never in clear');
  });

  it('refuses a datagram too large once protected, and a bad replayWindow option', async () => {
    const server = await boundServer(backend('server.contoso.com'));
    const client = backend('client.contoso.com').createSocket({ type: 'dgram' });
    client.setSecurity();
    await client.send('x', server.peer);
    await expect(client.send(Buffer.alloc(65_500), server.peer)).rejects.toMatchObject({
      code: 'WSAEMSGSIZE',
    });
    expect(() => createSimBackend({ realm, machine: 'client.contoso.com', replayWindow: 0 })).toThrow(
      expect.objectContaining({
        code: 'ERR_WSASEC_INVALID_ARGUMENT',
        message: expect.stringMatching(/replayWindow/),
      }),
    );
  });

  it('closing during a negotiation rejects the send and emits close', async () => {
    const plain = await plainSocket();
    const client = backend('client.contoso.com').createSocket({ type: 'dgram' });
    client.setSecurity();
    const listening = new Promise((resolve) => client.once('listening', resolve));
    const outcome = client
      .send('never', { address: '127.0.0.1', port: plain.address().port })
      .catch((e) => e);
    const closed = new Promise((resolve) => client.once('close', resolve));
    await listening;
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.close();
    expect(await outcome).toMatchObject({ code: 'WSAENOTSOCK' });
    await closed;
    expect((client.stats() as SimDatagramStats).sent).toBe(0);
  });
});
