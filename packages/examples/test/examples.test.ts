import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTOSO, createContosoRealm } from '../examples/contoso-realm.js';
import { built, cleanEnv, runNode, startNode } from './run-node.js';

const SAMPLE_QM_POLICY_KEY = 'b5d5c6a4-1c0e-4a8e-9d55-270150c0de01';
const CREATED_QM = 'c4a8f0d2-6b1e-4f3a-9c57-2e0b7d1a5f01';
const CREATED_MM = 'c4a8f0d2-6b1e-4f3a-9c57-2e0b7d1a5f02';
let dir: string;
let realmFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wsasec-examples-'));
  realmFile = join(dir, 'contoso.json');
  const { realm } = createContosoRealm();
  realm.addPolicy({ key: SAMPLE_QM_POLICY_KEY, mode: 'quick', protection: 'encryption' });
  await realm.save(realmFile);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const simEnv = (machine: string, user?: string) =>
  cleanEnv({
    WSASEC_BACKEND: 'sim',
    WSASEC_SIM_REALM: realmFile,
    WSASEC_SIM_MACHINE: machine,
    ...(user ? { WSASEC_SIM_USER: user } : {}),
  });

describe('secure-tcp-server and secure-tcp-client (the stcpserver/stcpclient flow)', () => {
  it.each([
    [[], 'CLIENT$'],
    [['--adv', '--mm-policy', CONTOSO.userAuthPolicyKey], 'alice'],
    // The advanced sample's own policies (FwpmProviderContextAdd0): keys the realm file lacks.
    [['--adv', '--create-policy', '--qm-policy', CREATED_QM, '--mm-policy', CREATED_MM], 'alice'],
  ])(
    'exchange "12345678" over an encrypted connection with settings %j; the server acts as %s',
    async (flags, peer) => {
      const server = await startNode(
        built('examples/secure-tcp-server.js'),
        [...flags, '--port', '0', '--once'],
        /listening on 127\.0\.0\.1 port (\d+)/,
        { env: simEnv('server.contoso.com') },
      );
      try {
        const client = await runNode(
          built('examples/secure-tcp-client.js'),
          [...flags, '--port', server.match[1] as string, '--address', '127.0.0.1', 'server.contoso.com'],
          { env: simEnv('client.contoso.com', 'alice') },
        );
        expect(client.stderr).toBe('');
        expect(client.code).toBe(0);
        expect(client.stdout).toContain('secured true, encrypted true');
        expect(client.stdout).toMatch(/main mode SA [1-9]\d*, quick mode SA [1-9]\d*/);
        // MatchIPsecSAsForConnectedSocket: the main-mode SA of the query's id, then its quick-mode SA.
        const ids = /main mode SA (\d+), quick mode SA (\d+)/.exec(client.stdout);
        const mm = `MM SA ${ids?.[1]}: cipher AES-256-GCM, integrity SHA-256, key exchange X25519\n`;
        const qm = `QM SA ${ids?.[2]} (MM SA ${ids?.[1]}): ESP, encryption AES-256-GCM, integrity AES-256-GCM, SPI in 0x`;
        expect(client.stdout).toContain(mm);
        expect(client.stdout).toContain(qm);
        expect(client.stdout.indexOf(mm)).toBeLessThan(client.stdout.indexOf(qm));
        expect(client.stdout).toMatch(/lifetime \d+ s \/ \d+ KB, peer 127\.0\.0\.1 port \d+\n/);
        expect(client.stdout).toContain('sent "12345678", received "12345678"');
        if (flags.includes('--create-policy')) {
          expect(client.stdout).toContain(`added policies ${CREATED_MM}, ${CREATED_QM} with the sim backend`);
        }
      } finally {
        expect(await server.ended()).toBe(0); // --once: the server closes after its client
      }
      const { stdout } = server.output();
      expect(stdout).toContain(flags.length ? '(advanced settings)' : '(basic settings)');
      expect(stdout).toContain('secured true, encrypted true');
      expect(stdout).toMatch(
        /MM SA \d+: cipher AES-256-GCM[^\n]*\n {2}QM SA \d+ \(MM SA \d+\): ESP, encryption AES-256-GCM/,
      );
      expect(stdout).toContain(`received "12345678"; while impersonating, acted as ${peer}`);
      if (flags.includes('--create-policy')) {
        expect(stdout).toContain(`added policies ${CREATED_MM}, ${CREATED_QM} with the sim backend`);
      }
    },
  );

  it('without --create-policy, keys the realm lacks are refused at WSASetSocketSecurity; --create-policy needs --adv', async () => {
    const unknown = await runNode(
      built('examples/secure-tcp-client.js'),
      ['--adv', '--qm-policy', CREATED_QM, '--port', '1', '--address', '127.0.0.1', 'server.contoso.com'],
      { env: simEnv('client.contoso.com', 'alice') },
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: WSAEINVAL: .*realm\.addPolicy/m);
    const basic = await runNode(built('examples/secure-tcp-server.js'), ['--create-policy', '--port', '0'], {
      env: simEnv('server.contoso.com'),
    });
    expect(basic.code).toBe(1);
    expect(basic.stderr).toBe(
      'error: ERR_WSASEC_INVALID_ARGUMENT: --create-policy needs --adv (the basic settings use no custom policy)\n',
    );
    expect(basic.stdout).not.toContain('listening');
  });

  it('the client refuses a server that is not the one it named, before sending anything', async () => {
    const server = await startNode(
      built('examples/secure-tcp-server.js'),
      ['--port', '0'],
      /listening on 127\.0\.0\.1 port (\d+)/,
      { env: simEnv('rogue.contoso.com') },
    );
    try {
      const client = await runNode(
        built('examples/secure-tcp-client.js'),
        ['--port', server.match[1] as string, '--address', '127.0.0.1', 'server.contoso.com'],
        { env: simEnv('client.contoso.com', 'alice') },
      );
      expect(client.code).toBe(1);
      expect(client.stderr).toMatch(/^error: ERR_WSASEC_PEER_NAME_MISMATCH: /);
      expect(client.stdout).not.toContain('sent');
    } finally {
      await server.stop();
    }
    expect(server.output().stdout).not.toContain('received');
  });

  it.skipIf(process.platform === 'win32')(
    'with WSASEC_BACKEND=native-win off Windows: a clean ERR_WSASEC_UNSUPPORTED_PLATFORM, exit 1',
    async () => {
      const client = await runNode(
        built('examples/secure-tcp-client.js'),
        ['--address', '127.0.0.1', 'server.contoso.com'],
        {
          env: cleanEnv({ WSASEC_BACKEND: 'native-win' }),
        },
      );
      expect(client.code).toBe(1);
      expect(client.stderr).toMatch(/^error: ERR_WSASEC_UNSUPPORTED_PLATFORM: /);
      expect(client.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    },
  );
});

describe('in-process examples', () => {
  it('http-client-server: two requests over one negotiated connection, peer identity and impersonation', async () => {
    const { code, stdout, stderr } = await runNode(built('examples/http-client-server.js'), []);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(
      /GET \/first → 200 \(new secured connection\): hello alice on \S*client\S*; encrypted: true; while impersonating I was alice/i,
    );
    expect(stdout).toMatch(/GET \/second → 200 \(reused the secured connection\)/);
  });

  it('fetch: answered with the right target name, refused with a wrong one', async () => {
    const { code, stdout, stderr } = await runNode(built('examples/fetch.js'), []);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('fetch → 200: {"user":"alice","encrypted":true}');
    expect(stdout).toContain('fetch with the wrong target name → refused: ERR_WSASEC_PEER_NAME_MISMATCH');
  });

  it('express-access-check: alice (in Payroll) gets the report, bob gets 403', async () => {
    const { code, stdout, stderr } = await runNode(built('examples/express-access-check.js'), []);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain(
      'alice: GET /payroll → 200 payroll report for alice: 3 employees, paid on the 25th ' +
        '(req.secure: false, req.protocol: http; IPsec secured: true, encrypted: true)',
    );
    expect(stdout).toContain('bob: GET /payroll → 403 Forbidden');
  });

  it('fastify-access-check: serverFactory on a secured server; alice gets the report, bob gets 403', async () => {
    const { code, stdout, stderr } = await runNode(built('examples/fastify-access-check.js'), []);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain(
      'alice: GET /payroll → 200 payroll report for alice on CLIENT$ (encrypted: true)',
    );
    expect(stdout).toContain('bob: GET /payroll → 403 Forbidden');
  });

  it('koa-access-check: app.callback() on a secured server; alice gets the report, bob gets 403', async () => {
    const { code, stdout, stderr } = await runNode(built('examples/koa-access-check.js'), []);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain(
      'alice: GET /payroll → 200 payroll report for alice on CLIENT$ (encrypted: true)',
    );
    expect(stdout).toContain('bob: GET /payroll → 403 Forbidden');
  });

  it("websocket: ws sees the peer in 'connection'; bob's upgrade is refused with 403", async () => {
    const { code, stdout, stderr } = await runNode(built('examples/websocket.js'), []);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('server: WebSocket from alice on CLIENT$ (encrypted: true)');
    expect(stdout).toContain('alice: ← hello alice on CLIENT$, you said "ping"');
    expect(stdout).toContain('server: upgrade from bob refused (403)');
    expect(stdout).toContain('bob: refused: upgrade answered 403');
  });

  it('http-clients: axios, got and node-fetch through one SecureAgent, each seen as alice', async () => {
    const { code, stdout, stderr } = await runNode(built('examples/http-clients.js'), []);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    for (const client of ['axios', 'got', 'node-fetch'])
      expect(stdout).toContain(`${client}: 200 hello alice on CLIENT$`);
  });

  it('udp-peer-names: one name per peer; the server sees alice, a peer that cannot prove its name gets nothing', async () => {
    const { code, stdout, stderr } = await runNode(built('examples/udp-peer-names.js'), []);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('server ← "ping" from alice (encrypted: true)');
    expect(stdout).toContain('client ← "pong to alice" from SERVER$ (encrypted: true)');
    expect(stdout).toContain('rogue: refused before anything was sent: ERR_WSASEC_PEER_NAME_MISMATCH');
    expect(stdout).toContain('rogue received 0 datagrams');
    expect(stdout).toContain('client: 1 datagrams sent, 1 delivered, 1 SA');
  });
});
