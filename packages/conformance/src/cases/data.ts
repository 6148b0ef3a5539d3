import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { closed, connectSocket, once, readBytes, readToEnd, within } from '../run/helpers.js';
import { group } from './shared.js';

const { list, add } = group('data');
const MiB = 1024 * 1024;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

add('1 MiB echoes back intact (sha256 both ways)', ['network'], async (ctx) => {
  const { client, accepted } = await ctx.pair();
  accepted.pipe(accepted);
  const payload = randomBytes(MiB);
  const received = readToEnd(client, 'the 1 MiB echo');
  // Written in uneven pieces so that chunk boundaries differ from the backend's own framing.
  for (let at = 0; at < payload.length; ) {
    const size = Math.min(payload.length - at, 1 + ((at * 7919) % 200_000));
    client.write(payload.subarray(at, at + size));
    at += size;
  }
  client.end();
  const echo = await received;
  expect(echo.length).toBe(payload.length);
  expect(sha256(echo)).toBe(sha256(payload));
  expect(client.bytesWritten).toBeGreaterThanOrEqual(payload.length);
  expect(client.bytesRead).toBeGreaterThanOrEqual(payload.length);
});

add(
  "createSocket({ highWaterMark }) sets both marks as net.Socket's; while connecting, write() returns false at the mark and 'drain' follows",
  ['network'],
  async (ctx) => {
    const listening = await ctx.listen();
    const socket = ctx.socket({ highWaterMark: 16 });
    expect([socket.readableHighWaterMark, socket.writableHighWaterMark]).toEqual([16, 16]);
    const split = ctx.socket({ readableHighWaterMark: 100, writableHighWaterMark: 200 });
    expect([split.readableHighWaterMark, split.writableHighWaterMark]).toEqual([100, 200]);
    socket.setSecurity({});
    socket.setPeerTargetName(ctx.fixture.serverTargetName);
    const connected = connectSocket(socket, { host: listening.host, port: listening.port });
    // While connecting: under the mark true, at it false (as net counts its pending data).
    expect(socket.write(Buffer.alloc(15, 1))).toBe(true);
    expect(socket.write(Buffer.alloc(1, 2))).toBe(false);
    await once(socket, 'drain', "'drain' after the held writes went out");
    await connected;
    const accepted = await listening.nextConnection();
    const received = readBytes(accepted, 16 + 64);
    // Connected, a write the transport takes at once completes inside write() (net's libuv write
    // does too) and write() answers true; one it must queue answers false and 'drain' follows.
    if (!socket.write(Buffer.alloc(64, 3))) await once(socket, 'drain', "'drain' once connected");
    expect(await received).toEqual(
      Buffer.concat([Buffer.alloc(15, 1), Buffer.alloc(1, 2), Buffer.alloc(64, 3)]),
    );
  },
);

add('the server can send first', ['network'], async (ctx) => {
  const { client, accepted } = await ctx.pair();
  accepted.write('hello from the server');
  expect((await readBytes(client, 21)).toString()).toBe('hello from the server');
});

add(
  'half-close: the client ends, the server reads to the end and still answers',
  ['network'],
  async (ctx) => {
    const { client, accepted } = await ctx.pair();
    accepted.on('end', () => accepted.end('answer after end'));
    const request = readToEnd(accepted, 'the request up to end');
    const answer = readToEnd(client, 'the answer up to end');
    client.end('request');
    expect((await request).toString()).toBe('request');
    expect((await answer).toString()).toBe('answer after end');
    await closed(client);
    await closed(accepted);
  },
);

add('destroying the client closes the server end', ['network'], async (ctx) => {
  const { client, accepted, listening } = await ctx.pair();
  accepted.resume();
  expect(listening.server.connections).toBe(1);
  client.destroy();
  await closed(accepted, "the server end's 'close'");
  expect(listening.server.connections).toBe(0);
});

add('destroying the server end closes the client', ['network'], async (ctx) => {
  const { client, accepted } = await ctx.pair();
  client.resume();
  accepted.destroy();
  await closed(client, "the client's 'close'");
  expect(client.destroyed).toBe(true);
});

add('connected sockets report their addresses like net.Socket', ['network'], async (ctx) => {
  const { client, accepted, listening } = await ctx.pair();
  expect(client.socketType).toBe('stream');
  expect(client.family).toBe('ipv4');
  expect(client.backendName).toBe(ctx.client.name);
  expect(accepted.backendName).toBe(ctx.server.name);
  expect(client.connecting).toBe(false);
  expect(client.remoteAddress).toBe('127.0.0.1');
  expect(client.remotePort).toBe(listening.port);
  expect(client.remoteFamily).toBe('IPv4');
  expect(accepted.remoteAddress).toBe('127.0.0.1');
  expect(accepted.remotePort).toBe(client.localPort);
  expect(accepted.localPort).toBe(listening.port);
  expect(client.setNoDelay(true)).toBe(client);
  expect(client.setKeepAlive(true, 1000)).toBe(client);
  expect(client.setTimeout(0)).toBe(client);
});

add('twenty connections at once each carry their own data', ['network'], async (ctx) => {
  const listening = await ctx.listen();
  listening.server.on('connection', (socket) => socket.pipe(socket));
  const clients = await Promise.all(Array.from({ length: 20 }, () => ctx.connect(listening)));
  expect(listening.server.connections).toBe(20);
  const results = await Promise.all(
    clients.map(async (client, i) => {
      const message = `connection ${i} `.repeat(100);
      const echo = readToEnd(client, `echo ${i}`);
      client.end(message);
      return (await echo).toString() === message;
    }),
  );
  expect(results.every(Boolean)).toBe(true);
  await within(Promise.all(clients.map((c) => closed(c))), 'every client to close');
  await within(Promise.all(listening.accepted.map((s) => closed(s))), 'every server end to close');
  expect(listening.server.connections).toBe(0);
});

/** Data both ways, half-close, destroy, and the `net.Socket` surface. */
export const DATA_CASES = list;
