import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { IPSEC_IKE_ERRORS, type SecureSocketBackend } from '@wsasec/core';
import { createSimBackend, type SimBackendOptions } from '@wsasec/sim';
import { afterEach, describe, expect, it } from 'vitest';
import { type EchoServer, echoOnce, readBytes, startEchoServer } from '../src/harness/echo.js';
import { adversarialRealm, SUITE_TIMINGS } from '../src/harness/realm.js';
import { type MitmProxy, startMitmProxy, type Tamper } from '../src/mitm/proxy.js';
import { settle } from '../src/mitm/run.js';
import { FrameKind } from '../src/mitm/units.js';

const open: { close(): Promise<void> }[] = [];
const raw: Socket[] = [];
afterEach(async () => {
  for (const s of raw.splice(0)) s.destroy();
  for (const o of open.splice(0).reverse()) await o.close();
});

function backends(server: Partial<SimBackendOptions>): {
  client: SecureSocketBackend;
  server: SecureSocketBackend;
} {
  const realm = adversarialRealm();
  const pair = {
    client: createSimBackend({ realm, machine: 'client.contoso.com', ...SUITE_TIMINGS }),
    server: createSimBackend({ realm, machine: 'server.contoso.com', ...SUITE_TIMINGS, ...server }),
  };
  open.push(pair.client, pair.server);
  return pair;
}

async function echo(backend: SecureSocketBackend): Promise<EchoServer> {
  const server = await startEchoServer(backend);
  open.push(server);
  return server;
}

async function proxy(port: number, tamper: Tamper): Promise<MitmProxy> {
  const p = await startMitmProxy({ target: port, tamper });
  open.push(p);
  return p;
}

function rawConnect(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port });
  s.on('error', () => {});
  // Read (and discard) what the server sends, so its FIN is seen.
  s.resume();
  raw.push(s);
  return once(s, 'connect').then(() => s);
}

/** A handshake record header: magic, type, length. */
function recordHeader(type: number, length: number): Buffer {
  const header = Buffer.alloc(9);
  header.write('WSKE', 0, 'latin1');
  header[4] = type;
  header.writeUInt32BE(length >>> 0, 5);
  return header;
}

/** On the 2nd client data frame, run `act` instead of forwarding it. */
function onSecondFrame(act: (frame: Buffer, forward: (b: Buffer) => void) => Buffer[]): Tamper {
  return (unit, ctx) =>
    ctx.direction === 'c2s' && unit.kind === 'frame' && unit.type === FrameKind.Data && ctx.ordinal === 2
      ? act(unit.bytes, ctx.forward)
      : [unit.bytes];
}

async function clientThrough(client: SecureSocketBackend, port: number) {
  const socket = await client.connect({
    host: '127.0.0.1',
    port,
    security: {},
    peerTargetName: 'host/server.contoso.com',
  });
  socket.on('error', () => {});
  open.push({ close: async () => void socket.destroy() });
  socket.write('first message');
  expect((await readBytes(socket, 13)).toString()).toBe('first message');
  return socket;
}

describe('maximum frame size', () => {
  it('refuses a protected frame announcing a 4 GiB length at its header, and serves other clients', async () => {
    const { client, server } = backends({});
    const srv = await echo(server);
    const p = await proxy(
      srv.port,
      onSecondFrame((frame) => {
        const header = Buffer.from(frame.subarray(0, 17));
        header.writeUInt32BE(0xffff_ffff, 13);
        return [header];
      }),
    );
    const socket = await clientThrough(client, p.port);
    socket.write('second message');
    await settle(() => srv.errors.length > 0);
    expect(srv.errors).toEqual(['ERR_WSASEC_INTEGRITY']);
    expect(srv.accepted[0]?.bytesRead).toBe(13);
    expect((await echoOnce(client, srv.port, Buffer.from('still serving'))).toString()).toBe('still serving');
  });

  it('refuses a negotiation record announcing a 4 GiB length before reading its body', async () => {
    const { client, server } = backends({});
    const srv = await echo(server);
    const tcp = await rawConnect(srv.port);
    tcp.write(recordHeader(1, 0xffff_ffff));
    await settle(() => tcp.destroyed || tcp.readableEnded || srv.refusals.length > 0);
    await settle(() => srv.refusals.length > 0);
    expect(srv.refusals).toEqual([IPSEC_IKE_ERRORS.ERROR_IPSEC_IKE_INVALID_HEADER]);
    expect(srv.accepted).toHaveLength(0);
    expect((await echoOnce(client, srv.port, Buffer.from('next'))).toString()).toBe('next');
  });

  it('splits data into frames of the smaller maxFrameSize of the two ends', async () => {
    const { client, server } = backends({ maxFrameSize: 1024 });
    const srv = await echo(server);
    const units: number[] = [];
    const p = await proxy(srv.port, (unit, ctx) => {
      if (ctx.direction === 'c2s' && unit.kind === 'frame' && unit.type === FrameKind.Data)
        units.push(unit.bytes.length - 33);
      return [unit.bytes];
    });
    const message = Buffer.alloc(50_000, 7);
    expect((await echoOnce(client, p.port, message)).equals(message)).toBe(true);
    expect(Math.max(...units)).toBe(1024);
  });
});

describe('handshake timeout', () => {
  it('drops a slow-loris client that trickles its INIT, while others negotiate', async () => {
    const { client, server } = backends({ handshakeTimeout: 600 });
    const srv = await echo(server);
    const tcp = await rawConnect(srv.port);
    const init = Buffer.concat([recordHeader(1, 200), Buffer.alloc(200, 1)]);
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent < init.length && !tcp.destroyed) tcp.write(init.subarray(sent, ++sent));
    }, 20);
    open.push({ close: async () => clearInterval(trickle) });
    expect((await echoOnce(client, srv.port, Buffer.from('meanwhile'))).toString()).toBe('meanwhile');
    await settle(() => srv.refusals.length > 0);
    expect(srv.refusals).toEqual([IPSEC_IKE_ERRORS.ERROR_IPSEC_IKE_TIMED_OUT]);
    await settle(() => tcp.destroyed || tcp.readableEnded);
    expect(tcp.destroyed || tcp.readableEnded).toBe(true);
    expect(sent).toBeLessThan(init.length);
  });

  it('drops a client that connects and says nothing', async () => {
    const { server } = backends({ handshakeTimeout: 300 });
    const srv = await echo(server);
    const tcp = await rawConnect(srv.port);
    await settle(() => srv.refusals.length > 0);
    expect(srv.refusals).toEqual([IPSEC_IKE_ERRORS.ERROR_IPSEC_IKE_TIMED_OUT]);
    await settle(() => tcp.destroyed || tcp.readableEnded);
    expect(tcp.destroyed || tcp.readableEnded).toBe(true);
  });
});

describe('maximum concurrent handshakes', () => {
  it('refuses a handshake flood past the bound; established connections keep working', async () => {
    const { client, server } = backends({ maxConcurrentHandshakes: 4, handshakeTimeout: 5_000 });
    const srv = await echo(server);
    const established = await clientThrough(client, srv.port);
    const flood = await Promise.all(Array.from({ length: 30 }, () => rawConnect(srv.port)));
    await settle(() => srv.refusals.length >= 26);
    expect(srv.refusals).toHaveLength(26);
    expect(new Set(srv.refusals)).toEqual(new Set([IPSEC_IKE_ERRORS.ERROR_IPSEC_IKE_RATELIMIT_DROP]));
    // A new client is refused while the 4 slots are held …
    await expect(echoOnce(client, srv.port, Buffer.from('x'))).rejects.toMatchObject({
      code: 'ERR_WSASEC_NEGOTIATION_FAILED',
      negotiationError: IPSEC_IKE_ERRORS.ERROR_IPSEC_IKE_RATELIMIT_DROP,
    });
    // … the established one is unaffected …
    established.write('during the flood');
    expect((await readBytes(established, 16)).toString()).toBe('during the flood');
    // … and the slots come back once the flood is gone.
    for (const s of flood) s.destroy();
    let after: Buffer | undefined;
    for (let attempt = 0; attempt < 50 && !after; attempt++) {
      after = await echoOnce(client, srv.port, Buffer.from('after')).catch(async () => {
        await new Promise((r) => setTimeout(r, 20));
        return undefined;
      });
    }
    expect(after?.toString()).toBe('after');
  });
});

describe('idle timeout', () => {
  it('closes a connection whose peer trickles a frame byte by byte (slow loris after the handshake)', async () => {
    const { client, server } = backends({ idleTimeout: 400 });
    const srv = await echo(server);
    let trickle: NodeJS.Timeout | undefined;
    const p = await proxy(
      srv.port,
      onSecondFrame((frame, forward) => {
        let sent = 0;
        trickle = setInterval(() => {
          if (sent < frame.length) forward(frame.subarray(sent, ++sent));
        }, 25);
        return [];
      }),
    );
    open.push({ close: async () => clearInterval(trickle) });
    const socket = await clientThrough(client, p.port);
    socket.write('x'.repeat(200));
    await settle(() => srv.errors.length > 0);
    expect(srv.errors).toEqual(['WSAETIMEDOUT']);
    expect(srv.accepted[0]?.bytesRead).toBe(13);
  });
});
