import type { Writable } from 'node:stream';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Exit codes of the `wsasec` command. */
export const EXIT = {
  /** The command did what was asked. */
  OK: 0,
  /** The operation failed (negotiation refused, HTTP error status, realm file not readable, …). */
  FAILED: 1,
  /** The command line was wrong (unknown command or option, missing argument, bad value). */
  USAGE: 2,
} as const;

/** Streams and environment of one run of the command (the process's own, or a test's). */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** Ends long-running commands (`serve`) when aborted. */
  signal?: AbortSignal;
}

/** A wrong command line: reported with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command whose help applies (`get`, `realm add-user`, …). */
  readonly command: string;
  constructor(command: string, message: string) {
    super(message);
    this.command = command;
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseCommand} returns: option values and positionals, or `help` when `--help` was given. */
export interface Parsed<O extends Options> {
  help: boolean;
  values: {
    [K in keyof O]?: O[K]['type'] extends 'boolean'
      ? boolean
      : O[K]['multiple'] extends true
        ? string[]
        : string;
  };
  positionals: string[];
}

/**
 * Parses one command's arguments strictly (`node:util` parseArgs): unknown options, missing option
 * values and a wrong number of positionals are a {@link UsageError}. `-h`/`--help` is accepted by
 * every command.
 */
export function parseCommand<O extends Options>(
  command: string,
  args: readonly string[],
  options: O,
  positionals: { min: number; max: number; names: string },
): Parsed<O> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(command, (error as Error).message.replace(/\. To specify a positional.*$/s, '.'));
  }
  const help = parsed.values.help === true;
  if (!help && (parsed.positionals.length < positionals.min || parsed.positionals.length > positionals.max)) {
    const wanted =
      positionals.max === 0
        ? 'no arguments'
        : positionals.min === positionals.max
          ? `${positionals.names}`
          : `${positionals.names} (${positionals.min}–${positionals.max} arguments)`;
    throw new UsageError(command, `expected ${wanted}, got ${parsed.positionals.length} argument(s)`);
  }
  return { help, values: parsed.values as Parsed<O>['values'], positionals: parsed.positionals };
}

/**
 * An integer option within bounds.
 * @throws UsageError when the value is not a whole number from `min` to `max`.
 */
export function integerOption(
  command: string,
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      command,
      `--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/**
 * A required option.
 * @throws UsageError naming the option when it is absent.
 */
export function required(command: string, name: string, value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new UsageError(command, `--${name} is required (${what})`);
  return value;
}

/**
 * One of a fixed set of values.
 * @throws UsageError listing the accepted values.
 */
export function oneOf<T extends string>(
  command: string,
  name: string,
  value: string,
  accepted: readonly T[],
): T {
  if (!(accepted as readonly string[]).includes(value)) {
    throw new UsageError(command, `--${name} must be ${accepted.join(' or ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Writes a line to a stream. */
export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}
