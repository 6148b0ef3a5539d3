import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOKEN_QUERY } from '@wsasec/core';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimBackend, SimRealm } from '../../src/index.js';
import { contosoRealm, Harness, MM_USER, readAll } from '../support/fixture.js';

const h = new Harness();
let dir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wsasec-sim-'));
  // The child runs the package from its sources, bundled once for this test (no build needed).
  await build({
    entry: { child: fileURLToPath(new URL('../fixtures/child-server.ts', import.meta.url)) },
    outDir: dir,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    noExternal: [/^@wsasec\//],
    silent: true,
    dts: false,
    sourcemap: false,
    clean: false,
    config: false,
  });
}, 60_000);

afterAll(async () => {
  child?.stdin?.end();
  if (child && child.exitCode === null)
    await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 3000))]);
  child?.kill();
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

describe('two processes sharing one realm file', () => {
  it('a client in this process and a server in another authenticate each other from the same file', async () => {
    const realm = contosoRealm();
    const file = join(dir, 'contoso.realm.json');
    await realm.save(file);
    const entry = (await readdir(dir)).find((f) => f.startsWith('child.'));
    child = spawn(process.execPath, [join(dir, entry as string)], {
      env: {
        ...process.env,
        WSASEC_SIM_REALM: file,
        WSASEC_SIM_MACHINE: 'server.contoso.com',
        MM_POLICY: MM_USER,
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const [line] = (await Promise.race([
      once(child.stdout as NodeJS.ReadableStream, 'data'),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('the child server did not start')), 15_000),
      ),
    ])) as [Buffer];
    const { port } = JSON.parse(line.toString()) as { port: number };

    const loaded = await SimRealm.load(file);
    expect(loaded.domainSid).toBe(realm.domainSid);
    const client = createSimBackend({ realm: loaded, machine: 'client.contoso.com', user: 'alice' });
    h.backends.push(client);
    const socket = h.keep(
      await client.connect({
        host: '127.0.0.1',
        port,
        peerTargetName: 'host/server.contoso.com',
        security: { ipsec: { mainModePolicyKey: MM_USER } },
      }),
    );
    using info = socket.querySecurity({ tokenAccess: TOKEN_QUERY });
    expect(info.secured).toBe(true);
    expect(info.peerMachineToken?.user).toEqual({
      sid: realm.lookup('server.contoso.com')?.sid,
      name: 'SERVER$',
      domain: 'CONTOSO',
    });
    socket.end('who am I?');
    const answer = JSON.parse((await readAll(socket)).toString());
    expect(answer.request).toBe('who am I?');
    expect(answer.self.name).toBe('SERVER$');
    expect(answer.flags).toBe(1);
    expect(answer.user).toEqual({ sid: realm.lookup('alice')?.sid, name: 'alice', domain: 'CONTOSO' });
    expect(answer.machine.name).toBe('CLIENT$');
    expect(answer.groups).toContain('Payroll');
    expect(answer.impersonated.name).toBe('alice');
  });
});
