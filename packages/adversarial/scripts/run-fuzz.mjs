#!/usr/bin/env node
// The long fuzz run (not in CI): every target of the suite, FUZZ_RUNS inputs each (default 200 000),
// then the counts go to docs/RELIABILITY.md. Needs `pnpm build` first.
import { FUZZ_TARGETS, NATIVE_FUZZ_TARGETS, saveResult } from '../dist/index.js';

const runs = Number(process.env.FUZZ_RUNS ?? 200_000);
const targets = [];
let failures = 0;
for (const target of [...FUZZ_TARGETS, ...NATIVE_FUZZ_TARGETS]) {
  const started = Date.now();
  const result = target.check(runs);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.failed) {
    failures++;
    process.stderr.write(`FAIL ${target.name}\n${result.report}\n`);
  }
  process.stdout.write(
    `${result.failed ? 'FAIL' : 'ok  '} ${target.name}: ${result.numRuns} runs in ${seconds} s\n`,
  );
  targets.push({ name: target.name, runs: result.numRuns });
}
saveResult('fuzz', { mode: 'long', targets, failures });
process.exitCode = failures > 0 ? 1 : 0;
