import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';
import type { SecureSocketBackend } from '@wsasec/core';
import { createSimBackend, createSimRealm } from '@wsasec/sim';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startTunnelClient, startTunnelServer, type TunnelHandle } from '../../src/tunnel/tunnel.js';
import { waitFor } from '../wait.js';

const LOOPBACK = '127.0.0.1';
const realm = createSimRealm({ domain: 'CONTOSO', dnsDomain: 'contoso.com' });
const payroll = realm.addGroup('Payroll').sid;
realm.addUser('alice', { groups: ['Payroll'] });
realm.addUser('bob');
for (const fqdn of ['server.contoso.com', 'client.contoso.com', 'rogue.contoso.com']) realm.addMachine(fqdn);
const users = realm.addPolicy({
  key: crypto.randomUUID(),
  mode: 'main',
  authentication: ['machine', 'user'],
});
const encrypted = {
  protocol: 'ipsec' as const,
  guaranteeEncryption: true,
  ipsec: { mainModePolicyKey: users.key },
};

const backends: SecureSocketBackend[] = [];
const closers: (() => Promise<void> | void)[] = [];
function backend(machine: string, user?: string): SecureSocketBackend {
  const b = createSimBackend({ realm, machine, ...(user ? { user } : {}) });
  backends.push(b);
  return b;
}

/** A plain TCP service that records what each connection brought. */
interface Service {
  port: number;
  connections: number;
  bytes: number;
  sockets: Set<net.Socket>;
}
async function service(onConnection: (socket: net.Socket) => void, allowHalfOpen = true): Promise<Service> {
  const state: Service = { port: 0, connections: 0, bytes: 0, sockets: new Set() };
  const server = net.createServer({ allowHalfOpen }, (socket) => {
    state.connections += 1;
    state.sockets.add(socket);
    socket.on('close', () => state.sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer | string) => {
      state.bytes += Buffer.byteLength(chunk);
    });
    onConnection(socket);
  });
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  state.port = (server.address() as net.AddressInfo).port;
  closers.push(async () => {
    for (const socket of state.sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return state;
}

/** A line service: answers every line with its upper case; on end of input, "BYE <lines>" and end. */
function lineService(socket: net.Socket): void {
  let buffered = '';
  let lines = 0;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      socket.write(`${buffered.slice(0, i).toUpperCase()}\n`);
      buffered = buffered.slice(i + 1);
      lines += 1;
    }
  });
  socket.on('end', () => socket.end(`BYE ${lines}\n`));
}

interface Pair {
  server: TunnelHandle;
  client: TunnelHandle;
  serverLog: string[];
  clientLog: string[];
}
async function tunnel(
  forwardPort: number,
  opts: {
    user?: string;
    machine?: string;
    target?: string;
    allow?: { sddl: string };
    requireUser?: boolean;
    clientSecurity?: typeof encrypted;
  } = {},
): Promise<Pair> {
  const serverLog: string[] = [];
  const clientLog: string[] = [];
  const server = await startTunnelServer({
    backend: backend('server.contoso.com'),
    listen: { host: LOOPBACK, port: 0 },
    forward: { host: LOOPBACK, port: forwardPort },
    security: encrypted,
    ...(opts.allow ? { allow: opts.allow } : {}),
    ...(opts.requireUser ? { requireUser: true } : {}),
    log: (line) => serverLog.push(line),
  });
  closers.push(() => server.close());
  const client = await startTunnelClient({
    backend: backend(opts.machine ?? 'client.contoso.com', opts.user ?? 'alice'),
    listen: { host: LOOPBACK, port: 0 },
    connect: { host: LOOPBACK, port: server.address().port },
    peerTargetName: opts.target ?? 'host/server.contoso.com',
    security: opts.clientSecurity ?? encrypted,
    log: (line) => clientLog.push(line),
  });
  closers.push(() => client.close());
  return { server, client, serverLog, clientLog };
}

async function dial(pair: Pair): Promise<net.Socket> {
  const socket = net.connect({ host: LOOPBACK, port: pair.client.address().port, allowHalfOpen: true });
  await once(socket, 'connect');
  return socket;
}

/** Everything a socket receives until it closes, and how it closed. */
async function collect(
  socket: net.Socket,
  endOnEnd = true,
): Promise<{ data: Buffer; ended: boolean; error?: string }> {
  const chunks: Buffer[] = [];
  let ended = false;
  let error: string | undefined;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('end', () => {
    ended = true;
    if (endOnEnd) socket.end(); // as a client without allowHalfOpen
  });
  socket.on('error', (e: NodeJS.ErrnoException) => {
    error = e.code ?? e.message;
  });
  await new Promise((resolve) => socket.once('close', resolve));
  return { data: Buffer.concat(chunks), ended, ...(error ? { error } : {}) };
}

async function noLivePairs(pair: Pair): Promise<void> {
  await waitFor(() => pair.server.connections === 0 && pair.client.connections === 0, 5000, 'no live pairs');
}

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  for (const b of backends) await b.close();
});

describe('tunnel (sim backend)', () => {
  it('carries a line protocol both ways and logs the peer identity and bytes', async () => {
    const svc = await service(lineService);
    const pair = await tunnel(svc.port);
    const socket = await dial(pair);
    const received = collect(socket);
    socket.write('hello\n');
    socket.write('wörld\n');
    await waitFor(() => svc.bytes >= 13, 5000, 'the service to receive both lines');
    socket.end();
    const result = await received;
    expect(result.data.toString('utf8')).toBe('HELLO\nWÖRLD\nBYE 2\n');
    expect(result.ended).toBe(true);
    await noLivePairs(pair);
    await waitFor(() => pair.serverLog.some((l) => l.includes('closed')), 5000, 'the close line');
    expect(pair.serverLog.find((l) => l.includes(' open '))).toMatch(
      /^#1 open 127\.0\.0\.1:\d+ \(machine CONTOSO\\CLIENT\$, user CONTOSO\\alice, encrypted\) -> 127\.0\.0\.1:\d+$/,
    );
    // 13 bytes to the service ("hello\n" + "wörld\n" in UTF-8), 19 back (Ö is two bytes).
    expect(pair.serverLog.find((l) => l.includes('closed'))).toMatch(/: 13 bytes in, 19 bytes out$/);
    expect(pair.clientLog.find((l) => l.includes(' open '))).toMatch(/machine CONTOSO\\SERVER\$/);
    await waitFor(() => pair.clientLog.some((l) => l.includes('closed')), 5000, 'the client close line');
    expect(pair.clientLog.find((l) => l.includes('closed'))).toMatch(/: 13 bytes out, 19 bytes in$/);
  });

  it('propagates half-close both ways: the service answers after the client ended, then ends', async () => {
    // The service reads to the end, only then writes (a request/response over a half-closed stream).
    const svc = await service((socket) => {
      let n = 0;
      socket.on('data', (chunk: Buffer) => {
        n += chunk.length;
      });
      socket.on('end', () => setTimeout(() => socket.end(`got ${n} bytes after your end`), 50));
    });
    const pair = await tunnel(svc.port);
    const socket = await dial(pair);
    const received = collect(socket);
    socket.end('x'.repeat(1000));
    const result = await received;
    expect(result.data.toString()).toBe('got 1000 bytes after your end');
    expect(result.ended).toBe(true);
    await noLivePairs(pair);
  });

  it('the service ending first reaches the client, which can still send', async () => {
    const svc = await service((socket) => {
      socket.end('greeting\n'); // ends its side at once, still reads
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => {
        received.push(Buffer.concat(chunks).toString());
      });
    });
    const received: string[] = [];
    const pair = await tunnel(svc.port);
    const socket = await dial(pair);
    const result = collect(socket, false);
    await once(socket, 'end');
    socket.end('after your end\n');
    expect((await result).data.toString()).toBe('greeting\n');
    await waitFor(() => received.length === 1, 5000, 'the service to read to the end');
    expect(received[0]).toBe('after your end\n');
    await noLivePairs(pair);
  });

  it('moves several MiB both ways intact, with backpressure against a slow service', async () => {
    const size = 48 * 1024 * 1024;
    const payload = randomBytes(size);
    const expected = createHash('sha256').update(payload).digest('hex');
    // The service does not read for a while, then echoes everything back.
    let resume: (() => void) | undefined;
    const svc = await service((socket) => {
      socket.pause();
      resume = () => {
        socket.pipe(socket);
      };
    });
    const pair = await tunnel(svc.port);
    const socket = await dial(pair);
    const hash = createHash('sha256');
    let got = 0;
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      got += chunk.length;
    });
    // Write as a good producer does: stop at false, go on at 'drain'.
    let written = 0;
    const chunk = 64 * 1024;
    const pump = () => {
      while (written < size) {
        const ok = socket.write(payload.subarray(written, written + chunk));
        written += chunk;
        if (!ok) return void socket.once('drain', pump);
      }
      socket.end();
    };
    pump();
    await waitFor(() => resume, 5000, 'the service connection');
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Nobody reads on the far side: what the producer got rid of is bounded by the socket buffers
    // and the pipelines' high-water marks, not the whole payload.
    const acceptedWhileStalled = written;
    expect(acceptedWhileStalled).toBeLessThan(size / 2);
    expect(pair.client.connections).toBe(1);
    (resume as () => void)();
    await once(socket, 'end');
    expect(got).toBe(size);
    expect(hash.digest('hex')).toBe(expected);
    socket.destroy();
    await noLivePairs(pair);
  }, 60_000);

  it('a reset by the service closes the client connection (no leaked sockets)', async () => {
    const svc = await service((socket) => {
      socket.once('data', () => socket.resetAndDestroy());
    });
    const pair = await tunnel(svc.port);
    const socket = await dial(pair);
    const result = collect(socket);
    socket.write('boom\n');
    const { data } = await result;
    expect(data.length).toBe(0);
    await noLivePairs(pair);
    await waitFor(() => pair.serverLog.some((l) => l.includes('closed')), 5000, 'the close line');
    expect(pair.serverLog.find((l) => l.includes('closed'))).toMatch(/ECONNRESET/);
  });

  it('a client that goes away closes the service connection', async () => {
    const closed: boolean[] = [];
    // A service that closes when its client is gone (allowHalfOpen false, as most servers).
    const svc = await service((socket) => socket.on('close', () => closed.push(true)), false);
    const pair = await tunnel(svc.port);
    const socket = await dial(pair);
    socket.write('hi');
    await waitFor(() => svc.bytes === 2, 5000, 'the service to get the bytes');
    socket.resetAndDestroy();
    await waitFor(() => closed.length === 1, 5000, 'the service connection to close');
    await noLivePairs(pair);
  });

  it('a service that is down closes the client connection and logs why', async () => {
    const probe = net.createServer().listen(0, LOOPBACK);
    await once(probe, 'listening');
    const deadPort = (probe.address() as net.AddressInfo).port;
    probe.close();
    await once(probe, 'close');
    const pair = await tunnel(deadPort);
    const socket = await dial(pair);
    const result = await collect(socket);
    expect(result.data.length).toBe(0);
    await noLivePairs(pair);
    await waitFor(() => pair.serverLog.some((l) => l.includes('closed')), 5000, 'the close line');
    expect(pair.serverLog.find((l) => l.includes('closed'))).toMatch(/ECONNREFUSED/);
  });

  it('refuses a tunnel server that is not the target: the client is closed, nothing forwarded', async () => {
    const svc = await service(lineService);
    const pair = await tunnel(svc.port, { target: 'host/rogue.contoso.com' });
    const socket = await dial(pair);
    const result = collect(socket);
    socket.write('secret\n');
    const { data } = await result;
    expect(data.length).toBe(0);
    expect(svc.connections).toBe(0);
    expect(svc.bytes).toBe(0);
    await waitFor(() => pair.clientLog.some((l) => l.includes('refused')), 5000, 'the refusal line');
    expect(pair.clientLog.find((l) => l.includes('refused'))).toMatch(/ERR_WSASEC_PEER_NAME_MISMATCH/);
    await noLivePairs(pair);
  });

  it('refuses a peer the access check denies: the client is closed, the service never sees it', async () => {
    const svc = await service(lineService);
    const allow = { sddl: `D:(A;;FR;;;${payroll})` };
    const denied = await tunnel(svc.port, { user: 'bob', allow });
    const socket = await dial(denied);
    const result = collect(socket);
    socket.write('secret\n');
    const { data } = await result;
    expect(data.length).toBe(0);
    await waitFor(() => denied.serverLog.some((l) => l.includes('refused')), 5000, 'the refusal line');
    expect(denied.serverLog.find((l) => l.includes('refused'))).toMatch(
      /^#1 refused 127\.0\.0\.1:\d+ \(machine CONTOSO\\CLIENT\$, user CONTOSO\\bob, encrypted\): access denied by D:/,
    );
    await noLivePairs(denied);
    expect(svc.connections).toBe(0);
    expect(svc.bytes).toBe(0);

    // The same tunnel configuration lets alice (in Payroll) through.
    const allowed = await tunnel(svc.port, { user: 'alice', allow });
    const ok = await dial(allowed);
    const answer = collect(ok);
    ok.end('payroll\n');
    expect((await answer).data.toString()).toBe('PAYROLL\nBYE 1\n');
    expect(svc.connections).toBe(1);
  });

  it('--require-user refuses a peer that proved only its machine', async () => {
    const svc = await service(lineService);
    const serverLog: string[] = [];
    const server = await startTunnelServer({
      backend: backend('server.contoso.com'),
      listen: { host: LOOPBACK, port: 0 },
      forward: { host: LOOPBACK, port: svc.port },
      requireUser: true, // default policy: machines only
      log: (line) => serverLog.push(line),
    });
    closers.push(() => server.close());
    const client = await startTunnelClient({
      backend: backend('client.contoso.com', 'alice'),
      listen: { host: LOOPBACK, port: 0 },
      connect: { host: LOOPBACK, port: server.address().port },
      peerTargetName: 'host/server.contoso.com',
    });
    closers.push(() => client.close());
    const socket = net.connect(client.address().port, LOOPBACK);
    const result = collect(socket);
    socket.write('secret\n');
    expect((await result).data.length).toBe(0);
    await waitFor(() => serverLog.some((l) => l.includes('refused')), 5000, 'the refusal line');
    expect(serverLog.find((l) => l.includes('refused'))).toMatch(/user \(none\).*no user authenticated/);
    expect(svc.connections).toBe(0);
  });

  it('close() stops listening and destroys live pairs', async () => {
    const svc = await service(() => {});
    const pair = await tunnel(svc.port);
    const socket = await dial(pair);
    const result = collect(socket);
    socket.write('x');
    await waitFor(() => svc.connections === 1 && pair.client.connections === 1, 5000, 'a live pair');
    const port = pair.client.address().port;
    await Promise.all([pair.client.close(), pair.server.close()]);
    await result;
    await waitFor(() => svc.sockets.size === 0, 5000, 'the service connection to close');
    const refused = net.connect(port, LOOPBACK);
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });
});
