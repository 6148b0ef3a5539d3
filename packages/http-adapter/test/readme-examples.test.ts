// The README's runnable examples, run as written (the package name resolves to the source here).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const examples = new Map(
  [...readme.matchAll(/<!-- readme-example: ([\w-]+) -->\n```js\n([\s\S]*?)```/g)].map((m) => [m[1], m[2]]),
);
const dir = new URL('./.readme/', import.meta.url);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(name: string): Promise<string[]> {
  const code = examples.get(name);
  if (!code) throw new Error(`README has no example ${name}`);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}.mjs`, dir);
  writeFileSync(file, code);
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.join(' '));
  });
  try {
    await import(file.href);
  } finally {
    spy.mockRestore();
  }
  return lines;
}

describe('README examples (against the sim)', () => {
  it('finds the three runnable examples', () => {
    expect([...examples.keys()]).toEqual(['client-server', 'access', 'http2']);
  });

  it('client and server', async () => {
    expect(await run('client-server')).toEqual(['hello alice, encrypted=true, acting as alice']);
  });

  it('access checks with Express and fetch', async () => {
    expect(await run('access')).toEqual(['alice 200 the payroll', 'bob 403 Forbidden']);
  });

  it('HTTP/2 with an access check per stream', async () => {
    expect(await run('http2')).toEqual(['alice 200 the payroll, for alice', 'bob 403 Forbidden']);
  });
});
