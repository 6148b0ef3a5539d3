#!/usr/bin/env node
// Runs every test of the repository, one package at a time (the machines have two cores, and the
// load tests must not compete with each other), then the Windows-path suites (mingw ABI test and the
// Wine suite), and ends with one summary line: "N passed, N failed, N skipped".
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'skip-windows': { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});

const root = new URL('..', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'wsasec-tests-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function run(label, cmd, args, opts = {}) {
  console.log(`\n=== ${label}`);
  const started = Date.now();
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  console.log(`=== ${label}: exit ${result.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result.status ?? 1;
}

// A package's suite that has not finished after this long is stuck: its process group is killed
// and the suite runs once more, and the hang is reported (never silently passed over).
const SUITE_LIMIT_MS = 6 * 60 * 1000;
const hangs = [];

function runBounded(label, cmd, args, opts) {
  console.log(`\n=== ${label}`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', cwd: root, detached: true, ...opts });
    const timer = setTimeout(() => {
      hangs.push(label);
      console.log(`=== ${label}: no result after ${SUITE_LIMIT_MS / 1000} s, stopping it`);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, SUITE_LIMIT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      console.log(`=== ${label}: exit ${code ?? signal} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      resolve({ status: code ?? 1, timedOut: signal === 'SIGKILL' });
    });
  });
}

const native = join(root, 'packages', 'native-win');
const nativePkg = JSON.parse(readFileSync(join(native, 'package.json'), 'utf8'));
const windows = !values['skip-windows'] && !values.only && Boolean(nativePkg.scripts?.['test:wine']);
// The Wine prefix comes first: the examples' Windows-path tests run only when it exists.
let windowsReady = false;
if (windows) {
  const setup = run('Windows toolchain and Wine prefix', 'bash', [join(native, 'scripts', 'wine-setup.sh')]);
  windowsReady = setup === 0;
  if (!windowsReady) {
    failures.push('wine-setup');
    totals.failed += 1;
  }
}

const packages = readdirSync(join(root, 'packages')).filter((name) => {
  if (values.only && values.only !== name) return false;
  const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
  return typeof pkg.scripts?.test === 'string';
});

for (const name of packages) {
  const report = join(out, `${name}.json`);
  const args = [
    'exec',
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
  ];
  const cwd = join(root, 'packages', name);
  let { status, timedOut } = await runBounded(`vitest: @wsasec/${name}`, 'pnpm', args, { cwd });
  if (timedOut)
    ({ status } = await runBounded(`vitest: @wsasec/${name} (again, after a hang)`, 'pnpm', args, { cwd }));
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += json.numPassedTests ?? 0;
    totals.failed += json.numFailedTests ?? 0;
    totals.skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
    if ((json.numFailedTests ?? 0) > 0 || status !== 0) failures.push(`@wsasec/${name}`);
  } else if (status !== 0) {
    failures.push(`@wsasec/${name} (no report)`);
    totals.failed += 1;
  }
}

if (windowsReady) {
  for (const script of ['test:abi', 'test:wine']) {
    if (!nativePkg.scripts?.[script]) continue;
    const summary = join(out, `${script.replace(':', '-')}.json`);
    const status = run(
      `@wsasec/native-win ${script}`,
      'pnpm',
      ['--filter', '@wsasec/native-win', 'run', script],
      {
        env: { ...process.env, WSASEC_TEST_SUMMARY: summary },
      },
    );
    // Each Windows-path runner writes { passed, failed, skipped } to WSASEC_TEST_SUMMARY.
    if (existsSync(summary)) {
      const s = JSON.parse(readFileSync(summary, 'utf8'));
      totals.passed += s.passed ?? 0;
      totals.failed += s.failed ?? 0;
      totals.skipped += s.skipped ?? 0;
    }
    if (status !== 0) {
      failures.push(`@wsasec/native-win ${script}`);
      if (!existsSync(summary)) totals.failed += 1;
    }
  }
}

console.log('');
if (hangs.length > 0) console.log(`hung and re-run: ${hangs.join(', ')}`);
if (failures.length > 0) console.log(`failing: ${failures.join(', ')}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failures.length > 0 ? 1 : 0);
