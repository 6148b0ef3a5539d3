import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import { createSimRealm, SimRealm } from '@wsasec/sim';
import {
  type CliIo,
  EXIT,
  integerOption,
  oneOf,
  parseCommand,
  required,
  UsageError,
  writeLine,
} from './args.js';
import { HELP } from './help.js';
import { describeRealm } from './realm-show.js';

const SUBCOMMANDS = ['init', 'add-user', 'add-group', 'add-machine', 'add-policy', 'show'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** `wsasec realm <subcommand> <file> …`: creates and edits sim realm files. */
export async function realmCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    (sub === undefined ? io.stderr : io.stdout).write(HELP.realm);
    return sub === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw new UsageError(
      'realm',
      `unknown realm command ${JSON.stringify(sub)}; use one of ${SUBCOMMANDS.join(', ')}`,
    );
  }
  return RUN[sub as Subcommand](rest, io);
}

const RUN: Record<Subcommand, (args: readonly string[], io: CliIo) => Promise<number>> = {
  async init(args, io) {
    const command = 'realm init';
    const options = {
      domain: { type: 'string' },
      'dns-domain': { type: 'string' },
      force: { type: 'boolean' },
    } as const;
    const { help, values, positionals } = parseCommand(command, args, options, {
      min: 1,
      max: 1,
      names: '<file>',
    });
    if (help) return printHelp(io, command);
    const file = positionals[0] as string;
    if (!values.force && (await exists(file))) {
      writeLine(io.stderr, `wsasec ${command}: ${file} already exists; give --force to overwrite it`);
      return EXIT.FAILED;
    }
    const realm = createSimRealm({
      domain: values.domain ?? 'CONTOSO',
      dnsDomain: values['dns-domain'] ?? 'contoso.com',
    });
    await realm.save(file);
    writeLine(
      io.stdout,
      `created realm ${realm.domain} (${realm.dnsDomain}), domain SID ${realm.domainSid}, in ${file}`,
    );
    return EXIT.OK;
  },

  async 'add-user'(args, io) {
    const command = 'realm add-user';
    const options = { password: { type: 'string' }, group: { type: 'string', multiple: true } } as const;
    const { help, values, positionals } = parseCommand(command, args, options, {
      min: 2,
      max: 2,
      names: '<file> <name>',
    });
    if (help) return printHelp(io, command);
    const [file, name] = positionals as [string, string];
    return edit(io, file, (realm) => {
      const user = realm.addUser(name, {
        ...(values.password !== undefined ? { password: values.password } : {}),
        groups: values.group ?? [],
      });
      return `added user ${name} (${user.sid})`;
    });
  },

  async 'add-group'(args, io) {
    const command = 'realm add-group';
    const { help, positionals } = parseCommand(command, args, {}, { min: 2, max: 2, names: '<file> <name>' });
    if (help) return printHelp(io, command);
    const [file, name] = positionals as [string, string];
    return edit(io, file, (realm) => `added group ${name} (${realm.addGroup(name).sid})`);
  },

  async 'add-machine'(args, io) {
    const command = 'realm add-machine';
    const { help, positionals } = parseCommand(command, args, {}, { min: 2, max: 2, names: '<file> <fqdn>' });
    if (help) return printHelp(io, command);
    const [file, fqdn] = positionals as [string, string];
    return edit(
      io,
      file,
      (realm) => `added machine ${fqdn} (${realm.addMachine(fqdn).sid}), SPN host/${fqdn}`,
    );
  },

  async 'add-policy'(args, io) {
    const command = 'realm add-policy';
    const options = {
      mode: { type: 'string' },
      key: { type: 'string' },
      protection: { type: 'string' },
      'lifetime-seconds': { type: 'string' },
      'lifetime-bytes': { type: 'string' },
      authentication: { type: 'string' },
    } as const;
    const { help, values, positionals } = parseCommand(command, args, options, {
      min: 1,
      max: 1,
      names: '<file>',
    });
    if (help) return printHelp(io, command);
    const file = positionals[0] as string;
    const mode = oneOf(command, 'mode', required(command, 'mode', values.mode, 'quick or main'), [
      'quick',
      'main',
    ]);
    const key = values.key ?? randomUUID();
    if (mode === 'quick') {
      if (values.authentication !== undefined)
        throw new UsageError(command, '--authentication applies to --mode main');
      const protection = oneOf(
        command,
        'protection',
        required(command, 'protection', values.protection, 'integrity or encryption'),
        ['integrity', 'encryption'],
      );
      const seconds = integerOption(command, 'lifetime-seconds', values['lifetime-seconds'], 1, 2 ** 31 - 1);
      const bytes = integerOption(
        command,
        'lifetime-bytes',
        values['lifetime-bytes'],
        1,
        Number.MAX_SAFE_INTEGER,
      );
      const lifetime =
        seconds !== undefined || bytes !== undefined
          ? { ...(seconds ? { seconds } : {}), ...(bytes ? { bytes } : {}) }
          : undefined;
      return edit(io, file, (realm) => {
        realm.addPolicy({ key, mode: 'quick', protection, ...(lifetime ? { lifetime } : {}) });
        return { stdout: key, stderr: `added quick-mode policy ${key} (${protection})` };
      });
    }
    if (
      values.protection !== undefined ||
      values['lifetime-seconds'] !== undefined ||
      values['lifetime-bytes'] !== undefined
    ) {
      throw new UsageError(command, '--protection and --lifetime-* apply to --mode quick');
    }
    const list = required(command, 'authentication', values.authentication, 'machine, or machine,user');
    const authentication = oneOf(command, 'authentication', list.replace(/\s+/g, ''), [
      'machine',
      'machine,user',
    ]);
    return edit(io, file, (realm) => {
      realm.addPolicy({
        key,
        mode: 'main',
        authentication: authentication === 'machine' ? ['machine'] : ['machine', 'user'],
      });
      return { stdout: key, stderr: `added main-mode policy ${key} (${authentication})` };
    });
  },

  async show(args, io) {
    const command = 'realm show';
    const { help, positionals } = parseCommand(command, args, {}, { min: 1, max: 1, names: '<file>' });
    if (help) return printHelp(io, command);
    const realm = await SimRealm.load(positionals[0] as string);
    io.stdout.write(describeRealm(realm));
    return EXIT.OK;
  },
};

function printHelp(io: CliIo, command: string): number {
  io.stdout.write(HELP[command] ?? '');
  return EXIT.OK;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads the realm file, applies one change and saves it. The change's description goes to stdout,
 * or, when it returns `{ stdout, stderr }`, only the value scripts want (a policy key) goes to stdout.
 */
async function edit(
  io: CliIo,
  file: string,
  change: (realm: SimRealm) => string | { stdout: string; stderr: string },
): Promise<number> {
  const realm = await SimRealm.load(file);
  const message = change(realm);
  await realm.save(file);
  if (typeof message === 'string') writeLine(io.stdout, message);
  else {
    writeLine(io.stderr, message.stderr);
    writeLine(io.stdout, message.stdout);
  }
  return EXIT.OK;
}
