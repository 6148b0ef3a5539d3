/**
 * The benchmark (`pnpm bench`) still runs against today's adapter and backends: a tiny run of
 * bench/http-bench.mjs (nothing written) must exit 0 and print every contender's row and the TTFB
 * table. It measures nothing and asserts no speed — figures come from the benchmark itself — but a
 * contract change that breaks the bench's backend (as core taking over `'connect'` once did) fails
 * here instead of in the next person's `pnpm bench`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const bench = fileURLToPath(new URL('../bench/http-bench.mjs', import.meta.url));

it('bench/http-bench.mjs runs and prints every contender', async () => {
  const child = spawn(
    process.execPath,
    [bench, '--requests', '40', '--rounds', '1', '--ttfb', '3', '--no-write'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  expect(err).not.toMatch(/Error/);
  expect(code).toBe(0);
  for (const row of [
    '| http (http.Agent) |',
    '| https (TLS 1.3, AES-256-GCM) |',
    '| SecureAgent, no-security loopback backend (adapter overhead) |',
    '| SecureAgent, no-security backend over a plain Duplex (stream-layer cost) |',
    '| SecureAgent + createSecureServer on the sim |',
  ]) {
    expect(out).toContain(row);
  }
  expect(out).toMatch(/sim \/ https TTFB ratio \(median\): \d+\.\d+×/);
}, 60_000);

it("the bench's loopback backend reports a failed bind and a refused connect as errors", async () => {
  // @ts-expect-error: a plain .mjs module of the bench, without types
  const { createBenchLoopbackBackend } = await import('../bench/bench-loopback-backend.mjs');
  const { closeServer, listenServer } = await import('@wsasec/core');
  for (const duplex of [false, true]) {
    const backend = createBenchLoopbackBackend({ duplex });
    const first = backend.createServer({});
    try {
      const { port } = await listenServer(first, { host: '127.0.0.1' });
      const second = backend.createServer({});
      await expect(listenServer(second, { host: '127.0.0.1', port })).rejects.toMatchObject({
        code: 'WSAEADDRINUSE',
      });
      expect(second.listening).toBe(false);
      await closeServer(first);
      // Nothing listens on that port now: the connect fails with core's error, and only once.
      const socket = backend.createSocket();
      const errors: unknown[] = [];
      socket.on('error', (error: unknown) => errors.push(error));
      socket.connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('close', resolve));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'WSAECONNREFUSED' });
    } finally {
      await closeServer(first);
      await backend.close();
    }
  }
});
