import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../capture.js';
import { GRACEFUL_STOP_CODE } from '../run-node.js';
import { waitFor } from '../wait.js';
import {
  makeRealmFile,
  type RealmFile,
  startClientProcess,
  startServerProcess,
  type TunnelProcess,
} from './processes.js';

let dir: string;
let realm: RealmFile;
let echo: net.Server;
let echoPort: number;
const echoSockets = new Set<net.Socket>();
const children: TunnelProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wsasec-tunnel-cli-'));
  realm = await makeRealmFile(dir);
  echo = net.createServer((socket) => {
    echoSockets.add(socket);
    socket.on('close', () => echoSockets.delete(socket));
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  echoPort = (echo.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await Promise.all(children.map((child) => child.stop()));
  for (const socket of echoSockets) socket.destroy();
  echo.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

describe('wsasec tunnel', () => {
  it('rejects a wrong command line with exit 2', async () => {
    expect((await run('tunnel')).code).toBe(2);
    expect((await run('tunnel', 'sideways')).stderr).toMatch(/expected server or client/);
    const noForward = await run('tunnel', 'server', '--listen', '127.0.0.1:0');
    expect(noForward.code).toBe(2);
    expect(noForward.stderr).toMatch(/--forward is required/);
    const badListen = await run('tunnel', 'client', '--listen', 'localhost', '--connect', '127.0.0.1:1');
    expect(badListen.code).toBe(2);
    expect(badListen.stderr).toMatch(/--listen must be HOST:PORT/);
    const noTarget = await run('tunnel', 'client', '--listen', '127.0.0.1:0', '--connect', '127.0.0.1:1');
    expect(noTarget.stderr).toMatch(/--target is required/);
    const help = await run('tunnel', 'server', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--allow <sddl>/);
    expect((await run('--help')).stdout).toMatch(/tunnel server/);
  });

  it('two processes carry bytes, log the peer, and stop on SIGTERM with exit 0', async () => {
    const server = await startServerProcess(realm, echoPort);
    children.push(server);
    const client = await startClientProcess(realm, server.port, 'alice');
    children.push(client);

    const socket = net.connect(client.port, '127.0.0.1');
    await once(socket, 'connect');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk;
    });
    let closed = false;
    socket
      .on('error', () => {})
      .on('close', () => {
        closed = true;
      });
    socket.write('ping through two processes\n');
    await waitFor(() => received === 'ping through two processes\n', 10_000, 'the echo');
    await waitFor(() => /#1 open .*user CONTOSO\\alice, encrypted/.test(server.output().stdout), 5000, 'log');
    expect(server.output().stdout).toMatch(/#1 open 127\.0\.0\.1:\d+ \(machine CONTOSO\\CLIENT\$/);
    expect(client.output().stdout).toMatch(/#1 open .*machine CONTOSO\\SERVER\$/);

    // A live pair: SIGTERM closes the listeners, destroys the pair and exits 0.
    expect(await client.stop()).toBe(GRACEFUL_STOP_CODE);
    await waitFor(() => closed, 5000, 'the plain connection to close');
    expect(client.output().stdout).toMatch(/#1 closed .*: 27 bytes out, 27 bytes in, tunnel stopping\n/);
    expect(client.output().stdout).toMatch(/tunnel client stopped\n$/);
    await waitFor(() => /#1 closed/.test(server.output().stdout), 5000, 'the server close line');
    expect(await server.stop()).toBe(GRACEFUL_STOP_CODE);
    expect(server.output().stdout).toMatch(/tunnel server stopped\n$/);
    await waitFor(() => echoSockets.size === 0, 5000, 'the service connection to close');
    const refused = net.connect(client.port, '127.0.0.1');
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  }, 30_000);

  it('a denied user gets nothing: the plain client is closed, the service never connected', async () => {
    const server = await startServerProcess(realm, echoPort);
    children.push(server);
    const client = await startClientProcess(realm, server.port, 'bob');
    children.push(client);
    const before = echo.listenerCount('connection');
    let connections = 0;
    const count = () => {
      connections += 1;
    };
    echo.on('connection', count);
    const socket = net.connect(client.port, '127.0.0.1');
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.on('error', () => {});
    socket.write('let me in\n');
    await new Promise((resolve) => socket.once('close', resolve));
    await waitFor(() => /refused/.test(server.output().stdout), 5000, 'the refusal line');
    expect(server.output().stdout).toMatch(
      /#1 refused .*user CONTOSO\\bob, encrypted\): access denied by D:/,
    );
    echo.off('connection', count);
    expect(echo.listenerCount('connection')).toBe(before);
    expect(received).toBe(0);
    expect(connections).toBe(0);
    expect(await client.stop()).toBe(GRACEFUL_STOP_CODE);
    expect(await server.stop()).toBe(GRACEFUL_STOP_CODE);
  }, 30_000);
});
