#!/usr/bin/env node
// test:abi — the mingw-w64 ABI test (test/abi-mingw.test.ts, kept out of the normal `test`), which
// here is required: it fails when mingw-w64 is missing. Prints the number of layout checks and
// writes { passed, failed, skipped } to $WSASEC_TEST_SUMMARY when set.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pkg = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'wsasec-abi-run-'));
const report = join(dir, 'report.json');
const started = Date.now();
const result = spawnSync(
  'pnpm',
  [
    'exec',
    'vitest',
    'run',
    '--config',
    'vitest.abi.config.ts',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
  ],
  { cwd: pkg, stdio: 'inherit', env: { ...process.env, WSASEC_REQUIRE_MINGW: '1' } },
);
let summary = { passed: 0, failed: 1, skipped: 0 };
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  summary = {
    passed: json.numPassedTests ?? 0,
    failed: json.numFailedTests ?? 0,
    skipped: (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0),
  };
}
rmSync(dir, { recursive: true, force: true });
if (result.status !== 0 && summary.failed === 0) summary.failed = 1;
console.log(
  `ABI test: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
if (process.env.WSASEC_TEST_SUMMARY) writeFileSync(process.env.WSASEC_TEST_SUMMARY, JSON.stringify(summary));
process.exit(result.status ?? 1);
