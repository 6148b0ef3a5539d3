/**
 * `createServer({ pauseOnConnect: true })`, as net: an accepted socket reads nothing — no `'data'`,
 * `bytesRead` 0, not its peer's end either — until it is resumed, though its TCP connection has
 * already taken every byte the client sent (the negotiation before it was read as usual); then it
 * delivers them. Without pauseOnConnect a socket nobody reads still reads, as net's does.
 */

import { once } from 'node:events';
import type * as net from 'node:net';
import { connect as netConnect } from 'node:net';
import type { SecureSocket } from '@wsasec/core';
import { afterEach, describe, expect, it } from 'vitest';
import { contosoRealm, Harness, QM_ENCRYPTION } from '../support/fixture.js';

const h = new Harness();
const plain: net.Socket[] = [];
afterEach(async () => {
  for (const s of plain.splice(0)) s.destroy();
  await h.close();
});

/** The TCP socket under a sim socket (its protected `tcpSocket`). */
const tcpOf = (socket: SecureSocket): net.Socket =>
  (socket as unknown as { tcpSocket: net.Socket }).tcpSocket;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Waits (a turn of the event loop at a time) until `done()`. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await turn();
}

/** Collects what `socket` delivers until `length` bytes came. */
function read(socket: SecureSocket, length: number): Promise<string> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      if (Buffer.concat(chunks).length >= length) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks).toString());
      }
    };
    socket.on('data', onData);
  });
}

async function securedPair(serverSecurity: object, pauseOnConnect: boolean) {
  const realm = contosoRealm();
  const serverBackend = h.backend({ realm, machine: 'server.contoso.com' });
  const clientBackend = h.backend({ realm, machine: 'client.contoso.com' });
  let resolveAccepted!: (s: SecureSocket) => void;
  const accepted = new Promise<SecureSocket>((resolve) => {
    resolveAccepted = resolve;
  });
  const { port } = await h.server(serverBackend, { security: serverSecurity, pauseOnConnect }, (s) =>
    resolveAccepted(h.keep(s)),
  );
  const client = h.keep(
    await clientBackend.connect({ host: '127.0.0.1', port, peerTargetName: 'host/server.contoso.com' }),
  );
  return { client, accepted: await accepted };
}

describe('pauseOnConnect, as net', () => {
  it.each([
    ['integrity', {}],
    ['encryption', { ipsec: { quickModePolicyKey: QM_ENCRYPTION } }],
  ] as const)('%s: nothing is read until resume(), then the data', async (_name, security) => {
    const { client, accepted } = await securedPair(security, true);
    expect(accepted.isPaused()).toBe(true);
    // A 'data' listener does not resume a stream paused by pause() (as on net).
    const early: Buffer[] = [];
    const onEarly = (chunk: Buffer) => early.push(chunk);
    accepted.on('data', onEarly);
    await new Promise<void>((resolve, reject) => client.write('test', (e) => (e ? reject(e) : resolve())));
    // Every byte the client sent (negotiation and data) is in the server's process…
    const clientTcp = tcpOf(client);
    const serverTcp = tcpOf(accepted);
    await until(() => serverTcp.bytesRead >= clientTcp.bytesWritten);
    await turn();
    // …and the paused socket has delivered, buffered and counted none of it.
    expect(accepted.bytesRead).toBe(0);
    expect(accepted.readableLength).toBe(0);
    expect(early).toEqual([]);
    accepted.off('data', onEarly);
    const got = read(accepted, 4);
    accepted.resume();
    expect(await got).toBe('test');
    expect(accepted.bytesRead).toBe(4);
  });

  it('clear (allowInsecure): the first bytes, read before the connection, wait for resume() too, and so does the end', async () => {
    const realm = contosoRealm();
    const serverBackend = h.backend({ realm, machine: 'server.contoso.com' });
    let resolveAccepted!: (s: SecureSocket) => void;
    const accepted = new Promise<SecureSocket>((resolve) => {
      resolveAccepted = resolve;
    });
    const { port } = await h.server(
      serverBackend,
      { security: { allowInsecure: true }, pauseOnConnect: true },
      (s) => resolveAccepted(h.keep(s)),
    );
    const client = netConnect(port, '127.0.0.1');
    plain.push(client);
    client.on('error', () => {});
    client.end('hello');
    const socket = await accepted;
    const events: string[] = [];
    socket.on('end', () => events.push('end'));
    const serverTcp = tcpOf(socket);
    await until(() => serverTcp.bytesRead >= 5);
    await turn();
    expect(socket.bytesRead).toBe(0);
    expect(socket.readableLength).toBe(0);
    expect(events).toEqual([]);
    const got = read(socket, 5);
    const ended = once(socket, 'end');
    socket.resume();
    expect(await got).toBe('hello');
    await ended;
    expect(socket.bytesRead).toBe(5);
  });

  it('without pauseOnConnect, a socket nobody reads still reads what came (net reads from its accept on)', async () => {
    const { client, accepted } = await securedPair({}, false);
    expect(accepted.isPaused()).toBe(false);
    client.write('test');
    await until(() => accepted.bytesRead === 4);
    expect(accepted.readableLength).toBe(4);
    expect(await read(accepted, 4)).toBe('test');
  });
});
