// The CI half of examples/ci-backend-swap.md: the payroll service runs as its own process, its
// backend chosen by the environment alone (WSASEC_BACKEND=sim and a realm file this test writes).
// The same test runs unchanged on Linux and on Windows: the sim is plain Node.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBackend, type SecureSocketBackend } from '@wsasec/core';
import { SecureAgent } from '@wsasec/http-adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTOSO, createContosoRealm } from '../examples/contoso-realm.js';
import { built, cleanEnv, GRACEFUL_STOP_CODE, type RunningChild, startNode } from '../test/run-node.js';

let dir: string;
let realmFile: string;
let service: RunningChild;
let port: number;
const backends: SecureSocketBackend[] = [];

function simEnv(machine: string, user?: string): Record<string, string> {
  return {
    WSASEC_BACKEND: 'sim',
    WSASEC_SIM_REALM: realmFile,
    WSASEC_SIM_MACHINE: machine,
    ...(user ? { WSASEC_SIM_USER: user } : {}),
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wsasec-ci-app-'));
  realmFile = join(dir, 'contoso.json');
  const { realm, sids } = createContosoRealm();
  await realm.save(realmFile);
  service = await startNode(
    built('ci-app/server.js'),
    [],
    /listening on 127\.0\.0\.1 port (\d+) with the sim backend/,
    {
      env: cleanEnv({
        ...simEnv('server.contoso.com'),
        PAYROLL_GROUP_SID: sids.payroll,
        MAIN_MODE_POLICY_KEY: CONTOSO.userAuthPolicyKey,
        PORT: '0',
      }),
    },
  );
  port = Number(service.match[1]);
});

afterAll(async () => {
  await Promise.all(backends.map((b) => b.close()));
  // SIGTERM: the service closes its server and backend and exits 0 (on Windows kill() just terminates).
  expect(await service.stop()).toBe(GRACEFUL_STOP_CODE);
  rmSync(dir, { recursive: true, force: true });
});

async function getReport(user: string): Promise<{ status: number; body: string }> {
  // The client side swaps the same way: loadBackend() reads the environment it is given.
  const backend = await loadBackend({
    env: simEnv('client.contoso.com', user),
    importer: (specifier) => import(specifier),
  });
  backends.push(backend);
  const agent = new SecureAgent({ backend, peerTargetName: 'host/server.contoso.com' });
  try {
    const req = http.get({ host: '127.0.0.1', port, path: '/report', agent });
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    let body = '';
    for await (const chunk of res) body += chunk;
    return { status: res.statusCode ?? 0, body };
  } finally {
    agent.destroy();
  }
}

describe('the payroll service with WSASEC_BACKEND=sim', () => {
  it('serves the report to a member of the payroll group', async () => {
    const { status, body } = await getReport('alice');
    expect(status).toBe(200);
    expect(body).toBe('payroll report for CONTOSO\\alice\n');
  });

  it('refuses a valid user who is not in the group (403, nothing of the report)', async () => {
    const { status, body } = await getReport('bob');
    expect(status).toBe(403);
    expect(body).not.toContain('payroll report');
  });

  it('gives a plain HTTP client (no IPsec) no HTTP answer', async () => {
    const agent = new http.Agent({ keepAlive: false });
    const req = http.get({ host: '127.0.0.1', port, path: '/report', agent });
    const outcome = await new Promise<string>((resolve) => {
      req.once('response', () => resolve('answered'));
      req.once('error', (error: Error & { code?: string }) => resolve(error.code ?? 'error'));
    });
    agent.destroy();
    expect(outcome).not.toBe('answered');
  });
});
