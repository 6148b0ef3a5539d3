import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import { type SecureSocketBackend, SecureSocketError } from '@wsasec/core';
import { SecureAgent } from '@wsasec/http-adapter';
import { createSimBackend } from '@wsasec/sim';
import { CONTOSO, createContosoRealm } from '../../examples/contoso-realm.js';
import { secureRequest } from '../shared/http-request.js';
import {
  type DemoSetting,
  type DemoStep,
  paletteFor,
  renderSettings,
  renderStep,
  renderSummary,
} from './report.js';
import { createDemoServer, type DemoServer } from './server.js';
import {
  attempt,
  DEMO_LABELS,
  DEMO_SERVER,
  DEMO_TARGET,
  failure,
  judgeAccess,
  judgeClearText,
  judgeIdentity,
  judgeRogue,
  judgeRogueReached,
} from './steps.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Where the report goes (default `process.stdout`). */
  out?: Writable;
  /** Force colours on or off (default: only when `out` is a colour terminal). */
  color?: boolean;
  /** Bound of each request in milliseconds, negotiation included (default 5000). */
  timeout?: number;
}

/** What {@link runDemo} found. */
export interface DemoResult {
  /** True when every step ran and behaved as it should. */
  ok: boolean;
  steps: DemoStep[];
  /** Wall time of the whole run. */
  seconds: number;
}

const LABEL_WIDTH = Math.max(...DEMO_LABELS.map((l) => l.length));

interface RunningServer {
  url: URL;
  handled(): number;
}

type Closer = () => Promise<unknown> | unknown;

/**
 * The wsasec demo, on the embedded sim with no setup: builds the CONTOSO realm, starts an HTTP
 * server on `server.contoso.com` that requires encryption, makes requests through `SecureAgent` as
 * alice (in Payroll) and bob (not), tries a plain http client, then lets a second valid machine
 * (`rogue.contoso.com`) answer for the server. Prints one line per step (✓/✗) as it goes and
 * resolves with `ok` true only when every step behaved as it should. A step that fails is reported,
 * never thrown; everything the demo starts is stopped before it resolves.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (as a rejection) for options of the wrong
 *   type: `out` not a writable stream, `color` not a boolean, `timeout` not a positive integer.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  checkOptions(options);
  const out = options.out ?? process.stdout;
  const palette = paletteFor(out, options.color);
  const timeout = options.timeout ?? 5000;
  const started = performance.now();
  const steps: DemoStep[] = [];
  const closers: Closer[] = [];
  const print = (line = '') => out.write(`${line}\n`);
  const record = (step: DemoStep) => {
    steps.push(step);
    print(renderStep(step, LABEL_WIDTH, palette));
  };

  try {
    const contoso = createContosoRealm();
    const backend = (machine: string, user?: string): SecureSocketBackend => {
      const made = createSimBackend({ realm: contoso.realm, machine, ...(user ? { user } : {}) });
      closers.push(() => made.close());
      return made;
    };
    const agent = (user: string): SecureAgent => {
      const made = new SecureAgent({
        backend: backend('client.contoso.com', user),
        security: { guaranteeEncryption: true },
        peerTargetName: DEMO_TARGET,
        connectTimeout: timeout,
      });
      closers.push(() => made.destroy());
      return made;
    };
    const serverOptions = { payrollSddl: contoso.payrollSddl, security: contoso.serverSecurity };
    const server = await start(createDemoServer(serverOptions, backend(DEMO_SERVER)), closers);
    const rogue = await start(createDemoServer(serverOptions, backend('rogue.contoso.com')), closers);
    const alice = agent('alice');
    const bob = agent('bob');
    const get = (through: http.Agent, base: URL, path: string) =>
      attempt(() => secureRequest(new URL(path, base), { agent: through, timeout }));

    print(palette.bold(`wsasec demo · sim backend · realm ${CONTOSO.domain} (${CONTOSO.dnsDomain})`));
    print();
    const settings: DemoSetting[] = [
      {
        role: 'server',
        name: DEMO_SERVER,
        detail: `http://${server.url.host}, requires encryption and a user`,
      },
      {
        role: 'client',
        name: 'client.contoso.com',
        detail: `as alice, then bob; peer target name ${DEMO_TARGET}`,
      },
      {
        role: 'rogue',
        name: 'rogue.contoso.com',
        detail: `http://${rogue.url.host}, a valid machine of the realm`,
      },
    ];
    print(renderSettings(settings, palette));
    print();

    const { sids } = contoso;
    const expected = { serverMachineSid: sids.server, clientMachineSid: sids.client, aliceSid: sids.alice };
    for (const step of judgeIdentity(await get(alice, server.url, '/whoami'), expected)) record(step);
    record(judgeAccess(DEMO_LABELS[4], 'alice (in Payroll)', await get(alice, server.url, '/payroll'), 200));
    record(judgeAccess(DEMO_LABELS[5], 'bob (not in Payroll)', await get(bob, server.url, '/payroll'), 403));

    const plain = new http.Agent({ keepAlive: false });
    closers.push(() => plain.destroy());
    const handledBefore = server.handled();
    const clear = await get(plain, server.url, '/payroll');
    record(judgeClearText(clear, server.handled() - handledBefore));

    const rogueBefore = rogue.handled();
    record(judgeRogue(await get(alice, rogue.url, '/payroll')));
    record(judgeRogueReached(rogue.handled() - rogueBefore));
  } catch (error) {
    record({ label: 'setup', ok: false, detail: failure(error) });
  } finally {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch {}
    }
  }
  const seconds = (performance.now() - started) / 1000;
  print();
  print(renderSummary(steps, seconds, palette));
  return { ok: steps.length === DEMO_LABELS.length && steps.every((s) => s.ok), steps, seconds };
}

async function start(demo: DemoServer, closers: Closer[]): Promise<RunningServer> {
  const { server } = demo;
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  closers.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/`), handled: demo.handled };
}

function checkOptions(options: DemoOptions): void {
  const fail = (message: string) => {
    throw new SecureSocketError('ERR_WSASEC_INVALID_ARGUMENT', `runDemo: ${message}`, { syscall: 'runDemo' });
  };
  if (typeof options !== 'object' || options === null)
    fail('options must be an object { out?, color?, timeout? }');
  const { out, color, timeout } = options;
  if (out !== undefined && typeof (out as { write?: unknown }).write !== 'function') {
    fail('out must be a writable stream (something with write())');
  }
  if (color !== undefined && typeof color !== 'boolean') fail('color must be true, false or absent');
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > 2_147_483_647)) {
    fail(`timeout must be a positive integer number of milliseconds, got ${String(timeout)}`);
  }
}
