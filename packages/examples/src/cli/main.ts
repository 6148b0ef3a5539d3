import { SecureSocketError } from '@wsasec/core';
import { runDemo } from '../demo/run.js';
import { type CliIo, EXIT, parseCommand, UsageError, writeLine } from './args.js';
import { getCommand } from './get.js';
import { HELP } from './help.js';
import { realmCommand } from './realm.js';
import { serveCommand } from './serve.js';
import { tunnelCommand } from './tunnel.js';

const COMMANDS: Record<string, (args: readonly string[], io: CliIo) => Promise<number>> = {
  demo: demoCommand,
  realm: realmCommand,
  serve: serveCommand,
  get: getCommand,
  tunnel: tunnelCommand,
};

/**
 * The `wsasec` command: runs one command and resolves with its exit code — 0 when it did what was
 * asked, 1 when the operation failed (the error's code and message go to stderr), 2 for a wrong
 * command line (the message and a pointer to `--help` go to stderr). Never rejects.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout).write(HELP['']);
    return command === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    writeLine(
      io.stderr,
      `wsasec: unknown command ${JSON.stringify(command)}; run "wsasec --help" for the list`,
    );
    return EXIT.USAGE;
  }
  try {
    return await run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const helpFor = error.command === '' ? '' : ` ${error.command}`;
      writeLine(io.stderr, `wsasec ${error.command}: ${error.message}`);
      writeLine(io.stderr, `run "wsasec${helpFor} --help" for usage`);
      return EXIT.USAGE;
    }
    writeLine(io.stderr, `wsasec ${command}: ${describeError(error)}`);
    return EXIT.FAILED;
  }
}

function describeError(error: unknown): string {
  if (SecureSocketError.isInstance(error)) {
    const ike = error.negotiationError !== undefined ? ` (negotiationError ${error.negotiationError})` : '';
    return `${error.code}: ${error.message}${ike}`;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

async function demoCommand(args: readonly string[], io: CliIo): Promise<number> {
  const options = { color: { type: 'boolean' }, 'no-color': { type: 'boolean' } } as const;
  const { help, values } = parseCommand('demo', args, options, { min: 0, max: 0, names: '' });
  if (help) {
    io.stdout.write(HELP.demo);
    return EXIT.OK;
  }
  const color = values['no-color'] ? false : values.color ? true : undefined;
  const result = await runDemo({ out: io.stdout, ...(color !== undefined ? { color } : {}) });
  return result.ok ? EXIT.OK : EXIT.FAILED;
}
