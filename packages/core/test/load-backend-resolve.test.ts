import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const coreDist = new URL('../dist/index.js', import.meta.url).href;
const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));

function withoutNodePath(): NodeJS.ProcessEnv {
  // Package runners put their store on NODE_PATH; an application started by hand has none.
  const { NODE_PATH: _ignored, ...env } = process.env;
  return env;
}

function loadIn(cwd: string, backend: string): string {
  const script = `
    const { loadBackend } = await import(${JSON.stringify(coreDist)});
    try { await loadBackend({ env: { WSASEC_BACKEND: ${JSON.stringify(backend)} } }); console.log('loaded'); }
    catch (error) { console.log(error.code); }`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd,
    encoding: 'utf8',
    timeout: 15_000,
    env: withoutNodePath(),
  }).trim();
}

// Under pnpm, core's own folder cannot see the application's dependencies: loadBackend must find
// the backend package the way the application (the working directory) sees it.
describe('loadBackend with the default importer', () => {
  it('finds a backend package the application depends on (pnpm layout)', () => {
    // On Linux native-win is found and then refuses the platform: proof the package was imported.
    expect(loadIn(examplesDir, 'native-win')).toBe('ERR_WSASEC_UNSUPPORTED_PLATFORM');
  });

  it('names the missing package when the application does not have it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'wsasec-no-backend-'));
    try {
      expect(loadIn(empty, 'native-win')).toBe('ERR_WSASEC_BACKEND_NOT_FOUND');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
