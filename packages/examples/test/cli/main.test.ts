import { accessSync, constants, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../capture.js';
import { built, runNode } from '../run-node.js';

async function run(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

describe('wsasec', () => {
  it.each([
    [['--help']],
    [['-h']],
    [['help']],
    [['demo', '--help']],
    [['serve', '--help']],
    [['get', '-h']],
    [['realm', '--help']],
  ])('%j prints help to stdout and exits 0', async (argv) => {
    const result = await run(...argv);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/Usage: wsasec/);
    expect(result.stdout).toContain('Exit codes: 0 ok, 1 the operation failed, 2 usage error.');
  });

  it('without a command prints the command list to stderr and exits 2', async () => {
    const result = await run();
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Commands:');
  });

  it('refuses an unknown command with exit 2, including inherited property names', async () => {
    for (const name of ['frobnicate', 'constructor', '__proto__']) {
      const result = await run(name);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`unknown command "${name}"`);
    }
  });

  it('the built command has a shebang, is executable, and keeps its exit codes', async () => {
    const file = built('cli.js');
    expect(readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    if (process.platform !== 'win32') accessSync(file, constants.X_OK);
    expect((await runNode(file, ['--help'])).code).toBe(0);
    const usage = await runNode(file, ['get']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('run "wsasec get --help" for usage');
  });
});
