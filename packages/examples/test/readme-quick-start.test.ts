// Runs the root README's quick start exactly as written (only its port is swapped for a free one),
// so the first code a newcomer copies keeps working.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cleanEnv, PACKAGE_DIR, runNode } from './run-node.js';

function quickStart(): string | undefined {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.split(/^## /m).find((s) => /^quick start/i.test(s));
  return section?.match(/```js\n([\s\S]*?)```/)?.[1];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const code = quickStart();

describe('the root README', () => {
  it.skipIf(code === undefined)('quick start prints "hello alice" and ends by itself', async () => {
    const port = String(await freePort());
    const source = (code as string).replaceAll('8080', port);
    const {
      code: exit,
      stdout,
      stderr,
    } = await runNode('--input-type=module', ['-e', source], {
      env: cleanEnv(),
      cwd: PACKAGE_DIR,
    });
    expect({ exit, stderr }).toEqual({ exit: 0, stderr: '' });
    expect(stdout).toBe('hello alice\n');
  });
});
