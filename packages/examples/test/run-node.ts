import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package directory. */
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Absolute path of a built file (`dist/cli.js`, `dist/examples/fetch.js`). */
export function built(path: string): string {
  return join(PACKAGE_DIR, 'dist', path);
}

/**
 * The exit code a child stopped with SIGTERM reports: 0 when it handles the signal and shuts down
 * cleanly. On Windows there are no signals (`kill()` terminates the process), so no code is expected.
 */
export const GRACEFUL_STOP_CODE: number | null = process.platform === 'win32' ? null : 0;

/** What a finished process printed and how it ended. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for child processes: the parent's, without variables that would change the backend. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env))
    if (name.startsWith('WSASEC_') || name === 'FORCE_COLOR') delete env[name];
  return { ...env, ...extra };
}

/**
 * Runs `node <file> …args` to the end, killed after `timeout` ms (then `signal` is SIGKILL and the
 * test fails on the exit code).
 */
export async function runNode(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeout?: number; cwd?: string } = {},
): Promise<RunResult> {
  const child = spawn(process.execPath, [file, ...args], {
    env: options.env ?? cleanEnv(),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 15_000);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

/** A long-running child (a server) and the first stdout line matching a pattern. */
export interface RunningChild {
  child: ChildProcess;
  match: RegExpMatchArray;
  output(): { stdout: string; stderr: string };
  /** SIGTERM, then SIGKILL after 5 s; resolves with the exit code once the process is gone. */
  stop(): Promise<number | null>;
  /** Waits for the process to end by itself (bounded: after `timeout` ms it is stopped). */
  ended(timeout?: number): Promise<number | null>;
}

/**
 * Starts `node <file> …args` and resolves once stdout matches `ready` (rejects, after killing it, if
 * the process exits first or `timeout` ms pass).
 */
export async function startNode(
  file: string,
  args: readonly string[],
  ready: RegExp,
  options: { env?: NodeJS.ProcessEnv; timeout?: number } = {},
): Promise<RunningChild> {
  const child = spawn(process.execPath, [file, ...args], {
    env: options.env ?? cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const [code] = (await exited) as [number | null];
    clearTimeout(killer);
    return code;
  };
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`no ${ready} within ${options.timeout ?? 15_000} ms`)),
      options.timeout ?? 15_000,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      stop().finally(() => reject(new Error(`${error.message}\nstdout: ${stdout}\nstderr: ${stderr}`)));
    };
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const found = stdout.match(ready);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('exit', (code) => fail(new Error(`exited with ${code} before printing ${ready}`)));
  });
  const ended = async (timeout = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const timer = setTimeout(() => void stop(), timeout);
    const [code] = (await exited) as [number | null];
    clearTimeout(timer);
    return code;
  };
  return { child, match, output: () => ({ stdout, stderr }), stop, ended };
}
