import type { SecureSocketBackend } from '@wsasec/core';
import { createSimBackend, SimRealm } from '@wsasec/sim';
import { oneOf, required, UsageError } from './cli-args.js';

/** The backend options every network command takes. */
export interface BackendFlags {
  backend?: string | undefined;
  realm?: string | undefined;
  machine?: string | undefined;
  user?: string | undefined;
}

/** The backends the command knows. */
export const CLI_BACKENDS = ['sim', 'native-win'] as const;

/**
 * Opens the backend a command asked for: the sim from a realm file (as `--machine`, optionally as
 * `--user`), or native-win (the real Windows API; no realm). Checks the flags before touching
 * anything.
 * @throws UsageError for a missing `--realm`/`--machine` (sim) or sim flags given to native-win.
 * @throws SecureSocketError `ERR_WSASEC_UNSUPPORTED_PLATFORM` (native-win off Windows), or the
 *   sim's error for a realm file it cannot read or a machine/user it does not know.
 */
export async function openBackend(command: string, flags: BackendFlags): Promise<SecureSocketBackend> {
  const name = oneOf(command, 'backend', flags.backend ?? 'sim', CLI_BACKENDS);
  if (name === 'native-win') {
    const simOnly = (['realm', 'machine', 'user'] as const).filter((f) => flags[f] !== undefined);
    if (simOnly.length > 0) {
      throw new UsageError(
        command,
        `${simOnly.map((f) => `--${f}`).join(', ')} apply to the sim backend only; native-win runs as this Windows machine and logged-on user`,
      );
    }
    const { createNativeBackend } = await import('@wsasec/native-win');
    return createNativeBackend();
  }
  const realmFile = required(
    command,
    'realm',
    flags.realm,
    'the sim realm file, see "wsasec realm init --help"',
  );
  const machine = required(command, 'machine', flags.machine, 'the realm machine this process runs as');
  const realm = await SimRealm.load(realmFile);
  return createSimBackend({ realm, machine, ...(flags.user !== undefined ? { user: flags.user } : {}) });
}
