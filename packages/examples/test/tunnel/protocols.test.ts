// Real Redis and PostgreSQL sessions through a two-process tunnel (client end → server end → the
// service), with their own clients (redis-cli, psql). The services come from the OS packages
// (apt-get install redis-server postgresql); locally the tests skip without them, in CI (CI=true)
// they fail, as .ci/run installs them.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { accessSync, chownSync, constants, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../wait.js';
import {
  makeRealmFile,
  type RealmFile,
  startClientProcess,
  startServerProcess,
  type TunnelProcess,
} from './processes.js';

const run = promisify(execFile);
const CI = process.env.CI === 'true';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first directory (of `dirs`, then PATH) holding every one of `names`. */
function findTools(names: string[], dirs: string[] = []): string | undefined {
  const path = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return [...dirs, ...path].find((dir) => names.every((name) => executable(join(dir, name))));
}

function postgresDirs(): string[] {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  return [...versions.map((v) => join(root, v, 'bin')), '/usr/local/bin'];
}

const REDIS = findTools(['redis-server', 'redis-cli']);
const POSTGRES = findTools(['initdb', 'postgres', 'psql'], postgresDirs());

/** A test that reports a missing service: skipped locally with the reason, failed in CI. */
function requires(what: string, found: string | undefined, install: string): void {
  if (found) return;
  describe(`${what} (prerequisite)`, () => {
    it(`${what}: found`, (ctx) => {
      if (!CI) ctx.skip(`${what} not found: skipped (${install}); CI installs it`);
      throw new Error(`CI=true but ${what} is not installed (.ci/run runs ${install})`);
    });
  });
}
requires('redis-server and redis-cli', REDIS, 'apt-get install redis-server');
requires('PostgreSQL (initdb, postgres, psql)', POSTGRES, 'apt-get install postgresql');

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A service process: resolves once its output matches `ready` (bounded). */
async function startService(
  command: string,
  args: string[],
  ready: RegExp,
  options: { uid?: number; gid?: number } = {},
): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let log = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    log += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log += chunk;
  });
  try {
    await waitFor(() => ready.test(log) || child.exitCode !== null, 30_000, `${command} to start`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  if (!ready.test(log)) throw new Error(`${command} exited ${child.exitCode}: ${log}`);
  return { child, log: () => log };
}

async function stopService(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

const dirs: string[] = [];
const tunnels: TunnelProcess[] = [];
let realm: RealmFile;

beforeAll(async () => {
  if (!REDIS && !POSTGRES) return;
  const dir = mkdtempSync(join(tmpdir(), 'wsasec-tunnel-realm-'));
  dirs.push(dir);
  realm = await makeRealmFile(dir);
});

afterAll(async () => {
  await Promise.all(tunnels.splice(0).map((tunnel) => tunnel.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The tunnel pair for a service, as separate processes: alice's client end and bob's. */
async function tunnelTo(port: number): Promise<{ server: TunnelProcess; alice: number; bob: number }> {
  const server = await startServerProcess(realm, port);
  tunnels.push(server);
  const alice = await startClientProcess(realm, server.port, 'alice');
  tunnels.push(alice);
  const bob = await startClientProcess(realm, server.port, 'bob');
  tunnels.push(bob);
  return { server, alice: alice.port, bob: bob.port };
}

describe.runIf(REDIS)('Redis through the tunnel', () => {
  let redis: ChildProcess | undefined;
  let redisPort: number;
  let tunnel: Awaited<ReturnType<typeof tunnelTo>>;
  const cli = (port: number, ...args: string[]) =>
    run(join(REDIS as string, 'redis-cli'), ['-h', '127.0.0.1', '-p', String(port), ...args], {
      timeout: 20_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  const connectionsReceived = async () =>
    Number((await cli(redisPort, 'INFO', 'stats')).stdout.match(/total_connections_received:(\d+)/)?.[1]);

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsasec-tunnel-redis-'));
    dirs.push(dir);
    redisPort = await freePort();
    const started = await startService(
      join(REDIS as string, 'redis-server'),
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      /Ready to accept connections/,
    );
    redis = started.child;
    tunnel = await tunnelTo(redisPort);
  }, 60_000);
  afterAll(() => stopService(redis, 'SIGTERM'));

  it('redis-cli works through the tunnel', async () => {
    expect((await cli(tunnel.alice, 'SET', 'greeting', 'hello über tunnel')).stdout.trim()).toBe('OK');
    expect((await cli(tunnel.alice, 'GET', 'greeting')).stdout.trim()).toBe('hello über tunnel');
    expect((await cli(redisPort, 'GET', 'greeting')).stdout.trim()).toBe('hello über tunnel');
    await waitFor(
      () => /user CONTOSO\\alice, encrypted\) -> /.test(tunnel.server.output().stdout),
      5000,
      'log',
    );
  });

  it('a pipelined RESP session with a 4 MiB value round-trips intact', async () => {
    const value = createHash('sha256')
      .update('seed')
      .digest('hex')
      .repeat((4 * 1024 * 1024) / 64);
    const socket = net.connect(tunnel.alice, '127.0.0.1');
    await once(socket, 'connect');
    const resp = (...parts: string[]) =>
      `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
    let reply = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
    });
    socket.write(resp('SET', 'big', value) + resp('STRLEN', 'big') + resp('GET', 'big'));
    for (let i = 0; i < 100; i++) socket.write(resp('INCR', 'counter'));
    const expected = `+OK\r\n:${value.length}\r\n$${value.length}\r\n${value}\r\n${Array.from({ length: 100 }, (_, i) => `:${i + 1}\r\n`).join('')}`;
    await waitFor(() => reply.length >= expected.length, 15_000, 'every reply');
    expect(reply.length).toBe(expected.length);
    expect(createHash('sha256').update(reply).digest('hex')).toBe(
      createHash('sha256').update(expected).digest('hex'),
    );
    socket.end(resp('QUIT'));
    await new Promise((resolve) => socket.once('close', resolve));
  }, 30_000);

  it('bob (not in Payroll) gets no byte of Redis, and Redis never sees his connection', async () => {
    const before = await connectionsReceived();
    const denied = await cli(tunnel.bob, 'PING').catch(
      (error: { code?: number; stdout?: string; stderr?: string }) => error,
    );
    expect(`${denied.stdout ?? ''}`).not.toMatch(/PONG/);
    const after = await connectionsReceived();
    expect(after - before).toBe(1); // the second INFO itself
    await waitFor(
      () => /refused .*user CONTOSO\\bob.*access denied/.test(tunnel.server.output().stdout),
      5000,
      'refusal',
    );
  });
});

describe.runIf(POSTGRES)('PostgreSQL through the tunnel', () => {
  let postgres: ChildProcess | undefined;
  let log: () => string;
  let pgPort: number;
  let tunnel: Awaited<ReturnType<typeof tunnelTo>>;
  const psql = (port: number, sql: string) =>
    run(
      join(POSTGRES as string, 'psql'),
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        'postgres',
        '-X',
        '-At',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        sql,
      ],
      {
        timeout: 20_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, PGCONNECT_TIMEOUT: '10', PGSSLMODE: 'disable', PGAPPNAME: 'tunnel-test' },
      },
    );

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsasec-tunnel-pg-'));
    dirs.push(dir);
    // PostgreSQL refuses to run as root: as root, run it as the postgres (or nobody) account.
    const ids: { uid?: number; gid?: number } = {};
    if (process.getuid?.() === 0) {
      const account = await run('id', ['-u', 'postgres']).then(
        async (r) => ({ uid: Number(r.stdout), gid: Number((await run('id', ['-g', 'postgres'])).stdout) }),
        () => ({ uid: 65534, gid: 65534 }),
      );
      Object.assign(ids, account);
      chownSync(dir, account.uid, account.gid);
    }
    const data = join(dir, 'data');
    const initdb = spawn(
      join(POSTGRES as string, 'initdb'),
      ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C'],
      { stdio: ['ignore', 'pipe', 'pipe'], ...ids },
    );
    let initLog = '';
    initdb.stdout.setEncoding('utf8').on('data', (c: string) => {
      initLog += c;
    });
    initdb.stderr.setEncoding('utf8').on('data', (c: string) => {
      initLog += c;
    });
    const killer = setTimeout(() => initdb.kill('SIGKILL'), 60_000);
    const [code] = (await once(initdb, 'exit')) as [number | null];
    clearTimeout(killer);
    if (code !== 0) throw new Error(`initdb exited ${code}: ${initLog}`);
    pgPort = await freePort();
    const started = await startService(
      join(POSTGRES as string, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(pgPort),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'log_connections=on',
      ],
      /database system is ready to accept connections/,
      ids,
    );
    postgres = started.child;
    log = started.log;
    tunnel = await tunnelTo(pgPort);
  }, 90_000);
  afterAll(() => stopService(postgres, 'SIGINT'));

  it('psql runs queries through the tunnel', async () => {
    expect((await psql(tunnel.alice, 'select 40 + 2')).stdout.trim()).toBe('42');
    await psql(
      tunnel.alice,
      "create table notes (id int primary key, body text); insert into notes values (1, 'über IPsec')",
    );
    expect((await psql(pgPort, 'select body from notes where id = 1')).stdout.trim()).toBe('über IPsec');
    await waitFor(
      () => /user CONTOSO\\alice, encrypted\) -> /.test(tunnel.server.output().stdout),
      5000,
      'log',
    );
  });

  it('a multi-MiB result comes back identical to the direct one', async () => {
    const sql = "select string_agg(md5(g::text), '' order by g) from generate_series(1, 120000) g";
    const [through, direct] = await Promise.all([psql(tunnel.alice, sql), psql(pgPort, sql)]);
    expect(through.stdout.length).toBeGreaterThan(3_000_000);
    expect(through.stdout).toBe(direct.stdout);
  });

  it('bob (not in Payroll) gets no byte of PostgreSQL, which never sees his connection', async () => {
    const connections = () => (log().match(/connection received: host=127\.0\.0\.1/g) ?? []).length;
    const before = connections();
    const denied = await psql(tunnel.bob, 'select 1').catch(
      (error: { code?: number; stderr?: string }) => error,
    );
    expect((denied as { code?: number }).code).not.toBe(0);
    expect(`${(denied as { stderr?: string }).stderr}`).toMatch(
      /server closed the connection|connection to server .* failed/,
    );
    await waitFor(
      () => /refused .*user CONTOSO\\bob.*access denied/.test(tunnel.server.output().stdout),
      5000,
      'refusal',
    );
    expect(connections()).toBe(before);
  });
});
