#!/usr/bin/env node
// `pnpm demo`: builds the demo and everything it depends on (turbo; instant when cached), then runs
// `wsasec demo`. The build's own output is shown only when it fails, so the report stays readable.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const build = spawnSync(
  'pnpm',
  ['-w', 'exec', 'turbo', 'run', 'build', '--filter', '@wsasec/examples...', '--output-logs=errors-only'],
  { cwd: packageDir, encoding: 'utf8', shell: process.platform === 'win32' },
);
if (build.status !== 0) {
  process.stderr.write(build.stdout ?? '');
  process.stderr.write(build.stderr ?? '');
  process.stderr.write(
    `\npnpm demo: the build failed (exit ${build.status ?? build.error?.message}); see above\n`,
  );
  process.exit(1);
}

const demo = spawn(
  process.execPath,
  [fileURLToPath(new URL('../dist/cli.js', import.meta.url)), 'demo', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
demo.on('close', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
