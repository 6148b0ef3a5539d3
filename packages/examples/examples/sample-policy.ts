/**
 * The settings and policies of Microsoft's advanced secure-socket sample, shared by
 * secure-tcp-server and secure-tcp-client.
 *
 * `--adv` selects IPsec settings naming a custom quick-mode policy key (`--qm-policy`, default the
 * sample's key) and, with `--mm-policy`, a custom main-mode policy key (user authentication as well
 * as machine: the sample's extended mode). `--create-policy` makes the program add those policies
 * itself, as the sample does with `FwpmProviderContextAdd0`: `backend.addPolicies()` — WFP provider
 * contexts in a dynamic session on Windows, realm policies on the sim. They are removed when the
 * program closes its backend (and by Windows if the process dies first). Without it, the keys must
 * name policies that already exist (an administrator's, or `wsasec realm add-policy` for the sim).
 */
import {
  type PolicyDescription,
  type SecureSocket,
  type SecureSocketBackend,
  SecureSocketError,
  type SecurityAssociations,
  type SecuritySettings,
} from '@wsasec/core';

/** The quick-mode policy key `--adv` selects unless `--qm-policy` names another. */
export const SAMPLE_QM_POLICY_KEY = 'b5d5c6a4-1c0e-4a8e-9d55-270150c0de01';

/** The `parseArgs` options both programs take for the advanced settings. */
export const ADVANCED_OPTIONS = {
  adv: { type: 'boolean', default: false },
  'qm-policy': { type: 'string', default: SAMPLE_QM_POLICY_KEY },
  'mm-policy': { type: 'string' },
  'create-policy': { type: 'boolean', default: false },
} as const;

interface AdvancedValues {
  adv?: boolean;
  'qm-policy'?: string;
  'mm-policy'?: string;
  'create-policy'?: boolean;
}

/**
 * The two setting variants of the sample: SOCKET_SECURITY_SETTINGS {DEFAULT, GUARANTEE_ENCRYPTION}
 * and SOCKET_SECURITY_SETTINGS_IPSEC {IPSEC, GUARANTEE_ENCRYPTION, AuthipQMPolicyKey[, AuthipMMPolicyKey]}.
 */
export function sampleSettings(values: AdvancedValues): SecuritySettings {
  if (!values.adv) return { protocol: 'default', guaranteeEncryption: true };
  return {
    protocol: 'ipsec',
    guaranteeEncryption: true,
    ipsec: {
      quickModePolicyKey: values['qm-policy'] ?? SAMPLE_QM_POLICY_KEY,
      ...(values['mm-policy'] ? { mainModePolicyKey: values['mm-policy'] } : {}),
    },
  };
}

/** The policies `--create-policy` adds: ESP with encryption, and user authentication in main mode. */
export function samplePolicies(values: AdvancedValues): PolicyDescription[] {
  return [
    ...(values['mm-policy']
      ? [{ key: values['mm-policy'], mode: 'main', authentication: ['machine', 'user'] } as const]
      : []),
    { key: values['qm-policy'] ?? SAMPLE_QM_POLICY_KEY, mode: 'quick', protection: 'encryption' },
  ];
}

/**
 * FwpmProviderContextAdd0 of the sample, when `--adv --create-policy` asked for it. Prints what
 * was added. The backend's `close()` removes it.
 * @throws SecureSocketError as `backend.addPolicies` (`WSAEACCES` on Windows without
 *   administrator rights, `ERR_WSASEC_INVALID_ARGUMENT` for a key already in use).
 */
export function addSamplePolicies(backend: SecureSocketBackend, values: AdvancedValues): void {
  if (!values['create-policy']) return;
  if (!values.adv) {
    throw new SecureSocketError(
      'ERR_WSASEC_INVALID_ARGUMENT',
      '--create-policy needs --adv (the basic settings use no custom policy)',
    );
  }
  const added = backend.addPolicies(samplePolicies(values));
  console.log(`added policies ${added.keys.join(', ')} with the ${backend.name} backend`);
}

const spi = (value: number | undefined) => (value === undefined ? '-' : `0x${value.toString(16)}`);

/**
 * The sample's MatchIPsecSAsForConnectedSocket: prints the main-mode SA, then the quick-mode SA(s),
 * of a connected socket (`socket.querySecurityAssociations()`: IkeextSaGetById0 and
 * IPsecSaContextEnum0 on Windows). The sample calls it "optional": when the backend cannot look SAs
 * up (`WSAEOPNOTSUPP`) or the process may not (`WSAEACCES`: Windows wants administrator rights),
 * one line says so and the program goes on.
 */
export function printSecurityAssociations(socket: SecureSocket): void {
  let sas: SecurityAssociations;
  try {
    sas = socket.querySecurityAssociations();
  } catch (error) {
    if (!SecureSocketError.isInstance(error)) throw error;
    console.log(`  SA lookup failed: ${error.code}: ${error.message}`);
    return;
  }
  const mm = sas.mainMode;
  if (mm) {
    const life = mm.lifetimeSeconds === undefined ? '' : `, lifetime ${mm.lifetimeSeconds} s`;
    console.log(
      `  MM SA ${mm.id}: cipher ${mm.cipher}, integrity ${mm.integrity}, key exchange ${mm.keyExchange}${life}`,
    );
  }
  for (const qm of sas.quickMode) {
    console.log(
      `  QM SA ${qm.id} (MM SA ${qm.mainModeId}): ${qm.protocol.toUpperCase()}, encryption ${qm.encryption ?? 'none'}, integrity ${qm.integrity}, SPI in ${spi(qm.inboundSpi)} out ${spi(qm.outboundSpi)}, lifetime ${qm.lifetimeSeconds} s / ${qm.lifetimeKilobytes} KB, peer ${qm.remoteAddress} port ${qm.remotePort || 'any'}`,
    );
  }
  if (!mm && sas.quickMode.length === 0) console.log('  no IPsec SA (clear text)');
}
