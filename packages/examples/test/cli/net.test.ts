import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../capture.js';
import { built, GRACEFUL_STOP_CODE, runNode, startNode } from '../run-node.js';
import { waitFor } from '../wait.js';

let dir: string;
let realm: string;
let aliceSid: string;
let serverSid: string;
let url: string;
let userPolicy = '';
const controller = new AbortController();
const serverIo = captureIo(controller.signal);
let serving: Promise<number>;

async function run(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

function requestLines(): number {
  return serverIo.stdout.text.split('\n').filter((line) => /^[A-Z]+ \//.test(line)).length;
}

const asAlice = () => ['--realm', realm, '--machine', 'client.contoso.com', '--user', 'alice'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wsasec-cli-net-'));
  realm = join(dir, 'contoso.json');
  const sid = (text: string) => text.match(/S-1-5-21-[\d-]+/)?.[0] as string;
  await run('realm', 'init', realm);
  await run('realm', 'add-group', realm, 'Payroll');
  aliceSid = sid(
    (await run('realm', 'add-user', realm, 'alice', '--password', 'pw', '--group', 'Payroll')).stdout,
  );
  serverSid = sid((await run('realm', 'add-machine', realm, 'server.contoso.com')).stdout);
  await run('realm', 'add-machine', realm, 'client.contoso.com');
  await run('realm', 'add-machine', realm, 'rogue.contoso.com');
  // The built-in main mode authenticates machines only; this policy makes clients prove their user.
  userPolicy = (
    await run('realm', 'add-policy', realm, '--mode', 'main', '--authentication', 'machine,user')
  ).stdout.trim();
  serving = main(
    [
      'serve',
      '--realm',
      realm,
      '--machine',
      'server.contoso.com',
      '--require-encryption',
      '--mm-policy',
      userPolicy,
    ],
    serverIo,
  );
  const port = await waitFor(
    () => serverIo.stdout.text.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1],
    10_000,
    'serve',
  );
  url = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  controller.abort();
  expect(await serving).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

describe('wsasec serve and wsasec get', () => {
  it('serve says where it listens, as which machine, and that it requires encryption', () => {
    expect(serverIo.stdout.text).toMatch(
      /^listening on http:\/\/127\.0\.0\.1:\d+ as server\.contoso\.com with the sim backend, encryption required\n/,
    );
  });

  it('get prints the body: the echo server names the authenticated peer user and machine', async () => {
    const result = await run('get', `${url}/hello?x=1`, ...asAlice(), '--target', 'host/server.contoso.com');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const body = JSON.parse(result.stdout);
    expect(body.peer.userSid).toBe(aliceSid);
    expect(body.peer.user).toMatch(/alice/);
    expect(body.peer.machine).toMatch(/client/i);
    expect(body).toMatchObject({
      secured: true,
      encrypted: true,
      request: { method: 'GET', path: '/hello?x=1', body: '' },
    });
  });

  it('get -v prints the negotiated security and the response head to stderr, the body alone to stdout', async () => {
    const result = await run(
      'get',
      `${url}/`,
      ...asAlice(),
      '--target',
      'host/server.contoso.com',
      '-v',
      '--require-encryption',
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).peer.userSid).toBe(aliceSid);
    expect(result.stderr).toContain('* secured and encrypted');
    expect(result.stderr).toMatch(/\* main mode SA 0x[0-9a-f]{16}, quick mode SA 0x[0-9a-f]{16}/);
    expect(result.stderr).toContain(`(${serverSid})`);
    expect(result.stderr).toContain('< HTTP/1.1 200 OK');
    expect(result.stderr).toContain('< content-type: application/json');
  });

  it('get -d posts the data and the server echoes it', async () => {
    const result = await run(
      'get',
      `${url}/echo`,
      ...asAlice(),
      '--target',
      'host/server.contoso.com',
      '-d',
      'payday',
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).request).toEqual({ method: 'POST', path: '/echo', body: 'payday' });
  });

  it('get refuses a server that is not the target name, and sends it nothing (exit 1)', async () => {
    const before = requestLines();
    const result = await run('get', `${url}/secret`, ...asAlice(), '--target', 'host/rogue.contoso.com');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^wsasec get: ERR_WSASEC_PEER_NAME_MISMATCH: /);
    expect(requestLines()).toBe(before);
  });

  it('get exits 1 for an HTTP error status and still prints the body', async () => {
    const big = 'x'.repeat(1024 * 1024 + 1);
    const result = await run(
      'get',
      `${url}/big`,
      ...asAlice(),
      '--target',
      'host/server.contoso.com',
      '-d',
      big,
    );
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).request.body).toBeNull();
  });

  it('get exits 1 when the realm does not know the machine', async () => {
    const result = await run('get', `${url}/`, '--realm', realm, '--machine', 'nobody.contoso.com');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^wsasec get: .*nobody\.contoso\.com/);
  });

  it.skipIf(process.platform === 'win32')(
    '--backend native-win fails cleanly off Windows (exit 1)',
    async () => {
      const result = await run('get', `${url}/`, '--backend', 'native-win');
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^wsasec get: ERR_WSASEC_UNSUPPORTED_PLATFORM: /);
    },
  );

  it.each([
    [['get'], 'expected <url>'],
    [['get', 'not a url', '--realm', 'r', '--machine', 'm'], 'is not a URL'],
    [['get', 'https://127.0.0.1/', '--realm', 'r', '--machine', 'm'], 'only http: URLs are accepted'],
    [['get', 'http://127.0.0.1/'], '--realm is required'],
    [['get', 'http://127.0.0.1/', '--realm', 'r'], '--machine is required'],
    [['get', 'http://127.0.0.1/', '--backend', 'tls'], '--backend must be sim or native-win'],
    [
      ['get', 'http://127.0.0.1/', '--backend', 'native-win', '--realm', 'r'],
      '--realm apply to the sim backend only',
    ],
    [['get', 'http://127.0.0.1/', '--timeout', '0'], '--timeout must be a whole number from 1 to 600000'],
    [['get', 'http://127.0.0.1/', '-X', 'GET /x'], '--method must be an HTTP method'],
    [['serve', 'extra'], 'expected no arguments'],
    [['serve', '--port', '70000'], '--port must be a whole number from 0 to 65535'],
    [['serve', '--realm', 'r'], '--machine is required'],
    [['serve', '--mm-policy', 'payroll'], '--mm-policy must be a GUID string'],
    [['get', 'http://127.0.0.1/', '--qm-policy', '{nope}'], '--qm-policy must be a GUID string'],
    [['demo', '--colour'], "Unknown option '--colour'"],
  ])('exits 2 with a usage message for %j', async (argv, message) => {
    const result = await run(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe('the wsasec command as processes', () => {
  it('serve and get in two processes sharing one realm file', async () => {
    const server = await startNode(
      built('cli.js'),
      [
        'serve',
        '--realm',
        realm,
        '--machine',
        'server.contoso.com',
        '--port',
        '0',
        '--mm-policy',
        userPolicy,
      ],
      /listening on http:\/\/127\.0\.0\.1:(\d+)/,
    );
    try {
      const got = await runNode(built('cli.js'), [
        'get',
        `http://127.0.0.1:${server.match[1]}/x`,
        ...asAlice(),
        '--target',
        'host/server.contoso.com',
      ]);
      expect(got.code).toBe(0);
      expect(JSON.parse(got.stdout).peer.userSid).toBe(aliceSid);
    } finally {
      expect(await server.stop()).toBe(GRACEFUL_STOP_CODE);
    }
    expect(server.output().stdout).toMatch(/GET \/x 200 from .*alice/);
  });
});
