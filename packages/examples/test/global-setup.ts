// The tests run the built files exactly as users do (node dist/cli.js, node dist/examples/*.js), so
// build first when dist is missing or older than a source file. `turbo run test` builds only the
// dependencies, not this package.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      latest = Math.max(latest, statSync(join(root, path)).mtimeMs);
    }
  }
  return latest;
}

export default function setup(): void {
  const built = join(root, 'dist', 'cli.js');
  const sources = Math.max(newest('src'), newest('examples'), newest('ci-app'));
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  execFileSync('pnpm', ['exec', 'tsup', '--silent'], {
    cwd: root,
    stdio: 'inherit',
    timeout: 120_000,
    shell: process.platform === 'win32',
  });
}
