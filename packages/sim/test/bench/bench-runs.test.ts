/**
 * The benchmark (`pnpm bench`) still runs against today's sim: a tiny run of bench/sim-bench.mjs
 * (`--no-write`: the recorded results are left alone) must exit 0 and print every table. It
 * measures nothing and asserts no speed — figures come from the benchmark itself, on a quiet
 * machine — but a change that breaks the bench fails here instead of in the next `pnpm bench`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const bench = fileURLToPath(new URL('../../bench/sim-bench.mjs', import.meta.url));

it('bench/sim-bench.mjs runs and prints every table', async () => {
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      bench,
      '--bulk-mib=1',
      '--rounds=1',
      '--warmup=0',
      '--handshake-seconds=0.2',
      '--idle=4',
      '--burst=40',
      '--no-write',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  expect(err).not.toMatch(/Error/);
  expect(code).toBe(0);
  for (const size of ['1 KiB', '16 KiB', '64 KiB', '256 KiB']) {
    expect(out).toContain(`| ${size} warm |`);
    expect(out).toContain(`| ${size} cold |`);
  }
  expect(out).toContain('| handshakes per second');
  expect(out).toContain('| memory per idle connection pair');
  expect(out).toContain('| plain dgram |');
  expect(out).toContain('| sim encrypted |');
  expect(out).not.toContain('wrote bench/RESULTS.md');
}, 120_000);
