#!/usr/bin/env node
// Runs every test of the repository, one package at a time (the machines have two cores, and the
// load tests must not compete with each other): every package's suite under each supported Node
// major on Linux (scripts/node-matrix.mjs: Node 22, 24 and 26 from the npm registry, cached, each
// also building the packages), then the Windows-path suites (mingw ABI test, and the Wine suite
// under each Windows Node in WSASEC_NODE_WIN_VERSIONS), a table per Node version and one summary
// line: "N passed, N failed, N skipped".
//   --current       the Linux suites under the Node running this script only (no download)
//   --versions L    the Linux Node versions (default WSASEC_NODE_VERSIONS or 22,24,26)
//   --skip-windows  no Wine; --only <package> one package's suite, no Wine
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'skip-windows': { type: 'boolean', default: false },
    only: { type: 'string' },
    current: { type: 'boolean', default: false },
    versions: { type: 'string', default: process.env.WSASEC_NODE_VERSIONS ?? '22,24,26' },
  },
});
// Windows Node versions the Wine suite runs under. The first is also the one the examples' Windows
// path uses. Windows Node 24 and later do not start under Debian 12's Wine 8.0
// (docs/windows-node-versions.md).
const winVersions = (process.env.WSASEC_NODE_WIN_VERSIONS ?? '20.20.2,22.23.3')
  .split(',')
  .map((v) => v.trim())
  .filter(Boolean);

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

// Suites that hung: scripts/node-matrix.mjs stops a suite after 10 minutes, prints what its
// processes were doing, and counts it as failed (never re-run).
const hangs = [];

const native = join(root, 'packages', 'native-win');
const nativePkg = JSON.parse(readFileSync(join(native, 'package.json'), 'utf8'));
const windows = !values['skip-windows'] && !values.only && Boolean(nativePkg.scripts?.['test:wine']);
// The Wine prefix comes first: the examples' Windows-path tests run only when it exists.
const windowsReady = new Set();
if (windows) {
  for (const version of winVersions) {
    const setup = run(
      `Windows toolchain and Wine prefix (Windows Node ${version})`,
      'bash',
      [join(native, 'scripts', 'wine-setup.sh')],
      {
        env: { ...process.env, WSASEC_NODE_WIN_VERSION: version },
      },
    );
    if (setup === 0) windowsReady.add(version);
    else {
      failures.push(`wine-setup (Windows Node ${version})`);
      totals.failed += 1;
    }
  }
}

const packages = readdirSync(join(root, 'packages')).filter((name) => {
  if (values.only && values.only !== name) return false;
  const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
  return typeof pkg.scripts?.test === 'string';
});

// The Linux suites, under each Node version (scripts/node-matrix.mjs prints a table per version).
const matrixOut = join(out, 'matrix');
const matrixArgs = [
  join(root, 'scripts', 'node-matrix.mjs'),
  `--versions=${values.current ? 'current' : values.versions}`,
  `--packages=${packages.join(',')}`,
  `--out=${matrixOut}`,
];
// Each fetched version also builds the packages; the running Node already built them (test:all).
if (!values.current && !values.only) matrixArgs.push('--build');
const matrixStatus = run('Linux suites per Node version', process.execPath, matrixArgs);
const rows = existsSync(join(matrixOut, 'matrix.json'))
  ? JSON.parse(readFileSync(join(matrixOut, 'matrix.json'), 'utf8'))
  : [];
for (const r of rows) {
  totals.passed += r.passed;
  totals.failed += r.failed > 0 || r.ok ? r.failed : 1;
  totals.skipped += r.skipped;
  if (!r.ok) failures.push(r.build ? `Node ${r.version} build` : `Node ${r.version} @wsasec/${r.name}`);
  if (r.hung) hangs.push(`Node ${r.version} @wsasec/${r.name}`);
}
if (matrixStatus !== 0 && rows.length === 0) {
  failures.push('node-matrix (no results)');
  totals.failed += 1;
}
const perVersion = new Map();
for (const r of rows) {
  const key = `Linux Node ${r.version}`;
  const v = perVersion.get(key) ?? { suites: 0, passed: 0, failed: 0, skipped: 0, seconds: 0 };
  if (!r.build) v.suites += 1;
  v.passed += r.passed;
  v.failed += r.failed > 0 || r.ok ? r.failed : 1;
  v.skipped += r.skipped;
  v.seconds += r.seconds;
  perVersion.set(key, v);
}

// The ABI test compiles with mingw-w64 and runs on Linux: once. The Wine suite: per Windows Node.
const windowsRuns = [];
if (windowsReady.size > 0) windowsRuns.push({ script: 'test:abi', label: 'mingw ABI test', env: {} });
for (const version of winVersions)
  if (windowsReady.has(version))
    windowsRuns.push({
      script: 'test:wine',
      label: `Windows Node ${version} (Wine)`,
      env: { WSASEC_NODE_WIN_VERSION: version },
    });
for (const { script, label, env } of windowsRuns) {
  if (!nativePkg.scripts?.[script]) continue;
  const summary = join(out, `${script.replace(':', '-')}-${env.WSASEC_NODE_WIN_VERSION ?? 'linux'}.json`);
  const started = Date.now();
  const status = run(
    `@wsasec/native-win ${script} ${env.WSASEC_NODE_WIN_VERSION ? `(Windows Node ${env.WSASEC_NODE_WIN_VERSION})` : ''}`,
    'pnpm',
    ['--filter', '@wsasec/native-win', 'run', script],
    {
      env: { ...process.env, ...env, WSASEC_TEST_SUMMARY: summary },
    },
  );
  const v = { suites: 1, passed: 0, failed: 0, skipped: 0, seconds: (Date.now() - started) / 1000 };
  // Each Windows-path runner writes { passed, failed, skipped } to WSASEC_TEST_SUMMARY.
  if (existsSync(summary)) {
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    totals.passed += s.passed ?? 0;
    totals.failed += s.failed ?? 0;
    totals.skipped += s.skipped ?? 0;
    v.passed = s.passed ?? 0;
    v.failed = s.failed ?? 0;
    v.skipped = s.skipped ?? 0;
  }
  if (status !== 0) {
    failures.push(
      `@wsasec/native-win ${script}${env.WSASEC_NODE_WIN_VERSION ? ` (Windows Node ${env.WSASEC_NODE_WIN_VERSION})` : ''}`,
    );
    if (!existsSync(summary)) {
      totals.failed += 1;
      v.failed += 1;
    }
  }
  perVersion.set(label, v);
}

// One row per Node version (and the ABI test), the suites' totals.
console.log('\nPer Node version:');
console.log(
  `  ${'runtime'.padEnd(32)} ${'suites'.padStart(6)} ${'passed'.padStart(7)} ${'failed'.padStart(7)} ${'skipped'.padStart(8)} ${'seconds'.padStart(8)}`,
);
for (const [label, v] of perVersion)
  console.log(
    `  ${label.padEnd(32)} ${String(v.suites).padStart(6)} ${String(v.passed).padStart(7)} ${String(v.failed).padStart(7)} ${String(v.skipped).padStart(8)} ${v.seconds.toFixed(1).padStart(8)}`,
  );

console.log('');
if (hangs.length > 0) console.log(`hung (failed): ${hangs.join(', ')}`);
if (failures.length > 0) console.log(`failing: ${failures.join(', ')}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failures.length > 0 ? 1 : 0);
