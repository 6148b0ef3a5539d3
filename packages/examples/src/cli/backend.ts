import {
  normalizeGuid,
  type SecureSocketBackend,
  SecureSocketError,
  type SecuritySettings,
} from '@wsasec/core';
import { createSimBackend, SimRealm } from '@wsasec/sim';
import { oneOf, required, UsageError } from './args.js';

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

/** The security options `serve` and `get` take. */
export interface SecurityFlags {
  'require-encryption'?: boolean | undefined;
  'mm-policy'?: string | undefined;
  'qm-policy'?: string | undefined;
}

function policyKey(command: string, name: string, value: string | undefined): string | undefined {
  try {
    return normalizeGuid(value, `--${name}`, 'WSASetSocketSecurity');
  } catch (error) {
    if (SecureSocketError.isInstance(error)) throw new UsageError(command, error.message);
    throw error;
  }
}

/**
 * The `WSASetSocketSecurity` settings of a command line: `--require-encryption` →
 * `guaranteeEncryption`; `--mm-policy`/`--qm-policy` → protocol `'ipsec'` with those policy keys.
 * `undefined` (the default policy) when none is given.
 * @throws UsageError for a policy key that is not a GUID.
 */
export function securityFromFlags(command: string, flags: SecurityFlags): SecuritySettings | undefined {
  const mainModePolicyKey = policyKey(command, 'mm-policy', flags['mm-policy']);
  const quickModePolicyKey = policyKey(command, 'qm-policy', flags['qm-policy']);
  const ipsec = {
    ...(mainModePolicyKey ? { mainModePolicyKey } : {}),
    ...(quickModePolicyKey ? { quickModePolicyKey } : {}),
  };
  const encryption = flags['require-encryption'] === true;
  if (!encryption && Object.keys(ipsec).length === 0) return undefined;
  return {
    ...(Object.keys(ipsec).length > 0 ? { protocol: 'ipsec' as const, ipsec } : {}),
    ...(encryption ? { guaranteeEncryption: true } : {}),
  };
}
