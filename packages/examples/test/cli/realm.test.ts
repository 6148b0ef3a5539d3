import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../capture.js';

const SID = /S-1-5-21-\d+-\d+-\d+-\d+/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
let dir: string;
let file: string;

async function run(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wsasec-cli-realm-'));
  file = join(dir, 'contoso.json');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wsasec realm', () => {
  it('init creates a realm file, refuses to overwrite it, and overwrites it with --force', async () => {
    const created = await run('realm', 'init', file, '--domain', 'CONTOSO', '--dns-domain', 'contoso.com');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/created realm CONTOSO \(contoso\.com\), domain SID S-1-5-21-\d+-\d+-\d+/);
    const first = readFileSync(file, 'utf8');
    const again = await run('realm', 'init', file);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists; give --force');
    expect(readFileSync(file, 'utf8')).toBe(first);
    expect((await run('realm', 'init', file, '--force')).code).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toBe(first);
  });

  it('adds groups, users, machines and policies, and shows them', async () => {
    const group = await run('realm', 'add-group', file, 'Payroll');
    expect(group.code).toBe(0);
    const payrollSid = group.stdout.match(SID)?.[0];
    expect(payrollSid).toBeDefined();
    const user = await run(
      'realm',
      'add-user',
      file,
      'alice',
      '--password',
      'pw-alice',
      '--group',
      'Payroll',
    );
    expect(user.code).toBe(0);
    expect(user.stdout).toMatch(/added user alice \(S-1-5-21-/);
    expect((await run('realm', 'add-machine', file, 'server.contoso.com')).stdout).toContain(
      'SPN host/server.contoso.com',
    );
    const quick = await run(
      'realm',
      'add-policy',
      file,
      '--mode',
      'quick',
      '--protection',
      'integrity',
      '--lifetime-seconds',
      '600',
    );
    expect(quick.code).toBe(0);
    const quickKey = quick.stdout.trim();
    expect(quickKey).toMatch(GUID);
    expect(quick.stderr).toContain('quick-mode policy');
    const mainKey = '0f4b7d2e-4a43-4f43-9d5c-6a8f3e2b1c00';
    const mainMode = await run(
      'realm',
      'add-policy',
      file,
      '--mode',
      'main',
      '--authentication',
      'machine,user',
      '--key',
      mainKey,
    );
    expect(mainMode).toMatchObject({ code: 0, stdout: `${mainKey}\n` });

    const shown = await run('realm', 'show', file);
    expect(shown.code).toBe(0);
    for (const text of [
      'CONTOSO',
      'contoso.com',
      'alice',
      'Payroll',
      payrollSid as string,
      'server.contoso.com',
      quickKey,
      mainKey,
    ]) {
      expect(shown.stdout).toContain(text);
    }
  });

  it('reports what the realm refuses as a failed operation (exit 1), and leaves the file as it was', async () => {
    const before = readFileSync(file, 'utf8');
    const unknownGroup = await run(
      'realm',
      'add-user',
      file,
      'bob',
      '--password',
      'pw',
      '--group',
      'NoSuchGroup',
    );
    expect(unknownGroup.code).toBe(1);
    expect(unknownGroup.stderr).toMatch(/^wsasec realm: .*NoSuchGroup/);
    const duplicate = await run('realm', 'add-machine', file, 'server.contoso.com');
    expect(duplicate.code).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(before);
    const missing = await run('realm', 'show', join(dir, 'missing.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('missing.json');
  });

  it.each([
    [['realm'], 'realm <init'],
    [['realm', 'frobnicate', 'x'], 'unknown realm command "frobnicate"'],
    [['realm', 'init'], 'expected <file>'],
    [['realm', 'add-user', 'f.json', 'bob', '--password'], "Option '--password <value>' argument missing"],
    [['realm', 'add-policy', 'f.json'], '--mode is required'],
    [['realm', 'add-policy', 'f.json', '--mode', 'fast'], '--mode must be quick or main'],
    [['realm', 'add-policy', 'f.json', '--mode', 'quick'], '--protection is required'],
    [
      ['realm', 'add-policy', 'f.json', '--mode', 'quick', '--protection', 'strong'],
      '--protection must be integrity or encryption',
    ],
    [
      [
        'realm',
        'add-policy',
        'f.json',
        '--mode',
        'quick',
        '--protection',
        'integrity',
        '--lifetime-seconds',
        '1.5',
      ],
      '--lifetime-seconds must be a whole number',
    ],
    [
      ['realm', 'add-policy', 'f.json', '--mode', 'main', '--authentication', 'user'],
      '--authentication must be machine or machine,user',
    ],
    [
      ['realm', 'add-policy', 'f.json', '--mode', 'main', '--protection', 'integrity'],
      '--protection and --lifetime-* apply to --mode quick',
    ],
    [['realm', 'show', 'a.json', 'b.json'], 'expected <file>'],
    [['realm', 'show', 'a.json', '--bogus'], "Unknown option '--bogus'"],
  ])('exits 2 with a usage message for %j', async (argv, message) => {
    const result = await run(...argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });

  it.each([
    ['realm', '--help'],
    ['realm', 'init', '--help'],
    ['realm', 'add-user', '-h'],
    ['realm', 'add-group', '--help'],
    ['realm', 'add-machine', '--help'],
    ['realm', 'add-policy', '--help'],
    ['realm', 'show', '--help'],
  ])('prints help for %s %s %s and exits 0', async (...argv) => {
    const result = await run(...argv);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: wsasec realm/);
    expect(result.stdout).toContain('Exit codes: 0 ok, 1 the operation failed, 2 usage error.');
  });
});
