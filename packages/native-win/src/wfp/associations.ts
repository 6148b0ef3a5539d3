/**
 * `socket.querySecurityAssociations()` on Windows: the advanced sample's
 * `MatchIPsecSAsForConnectedSocket` (the IPSEC2 query's ids, `IkeextSaGetById0`,
 * `IPsecSaContextEnum0`) in the backend-neutral shape of `@wsasec/core`, algorithm ids named.
 * @module
 */
import type {
  MainModeSecurityAssociation,
  QuickModeSecurityAssociation,
  SecurityAssociations,
} from '@wsasec/core';
import type { WfpMainModeSa } from './encode.js';
import { openWfpEngine } from './engine.js';
import { WFP_CONSTANTS as K } from './layout.js';
import type { WfpLibrary } from './library.js';
import type { WfpConnection, WfpIpsecSa, WfpQuickModeSa, WfpSaIds } from './sa.js';

const named = (names: Record<number, string>, type: string) => (value: number) =>
  names[value] ?? `${type} ${value}`;

// IKEEXT_CIPHER_TYPE, IKEEXT_INTEGRITY_TYPE, IKEEXT_DH_GROUP: the values mingw-w64's iketypes.h has.
const ikeCipher = named(
  { 0: 'DES', 1: '3DES', 2: 'AES-128', 3: 'AES-192', 4: 'AES-256' },
  'IKEEXT_CIPHER_TYPE',
);
const ikeIntegrity = named({ 0: 'MD5', 1: 'SHA-1', 2: 'SHA-256', 3: 'SHA-384' }, 'IKEEXT_INTEGRITY_TYPE');
const dhGroup = named(
  {
    0: 'none',
    1: 'DH group 1',
    2: 'DH group 2',
    3: 'DH group 14',
    4: 'ECDH P-256',
    5: 'ECDH P-384',
    6: 'DH group 24',
  },
  'IKEEXT_DH_GROUP',
);
// IPSEC_AUTH_CONFIG / IPSEC_CIPHER_CONFIG: the SDK's #defines (mingw-w64 has none), which name the
// algorithm completely (IPSEC_AUTH_TYPE / IPSEC_CIPHER_TYPE only name its family).
const authConfig = named(
  {
    0: 'HMAC-MD5-96',
    1: 'HMAC-SHA-1-96',
    2: 'HMAC-SHA-256-128',
    3: 'AES-128-GMAC',
    4: 'AES-192-GMAC',
    5: 'AES-256-GMAC',
  },
  'IPSEC_AUTH_CONFIG',
);
const cipherConfig = named(
  {
    1: 'DES-CBC',
    2: '3DES-CBC',
    3: 'AES-128-CBC',
    4: 'AES-192-CBC',
    5: 'AES-256-CBC',
    6: 'AES-128-GCM',
    7: 'AES-192-GCM',
    8: 'AES-256-GCM',
  },
  'IPSEC_CIPHER_CONFIG',
);

/** The main-mode SA in core's shape. */
export function describeMainModeSa(sa: WfpMainModeSa): MainModeSecurityAssociation {
  return {
    id: sa.saId,
    localAddress: sa.localAddress,
    remoteAddress: sa.remoteAddress,
    cipher: ikeCipher(sa.cipher),
    integrity: ikeIntegrity(sa.integrity),
    keyExchange: dhGroup(sa.dhGroup),
    lifetimeSeconds: sa.maxLifetimeSeconds,
  };
}

function algorithms(sa: WfpIpsecSa | undefined): { encryption: string | undefined; integrity: string } {
  const encryption = sa?.cipher ? cipherConfig(sa.cipher.cipherConfig) : undefined;
  // GCM encrypts and authenticates at once: its auth half names the same algorithm.
  if (encryption?.endsWith('-GCM')) return { encryption, integrity: encryption };
  return { encryption, integrity: sa?.auth ? authConfig(sa.auth.authConfig) : 'none' };
}

/** A quick-mode SA context in core's shape (undefined when WFP gave neither direction). */
export function describeQuickModeSa(sa: WfpQuickModeSa): QuickModeSecurityAssociation | undefined {
  const d = sa.outboundSa ?? sa.inboundSa;
  if (!d) return undefined;
  const first = d.saList[0];
  return {
    id: BigInt(d.qmSaId),
    mainModeId: d.mmSaId,
    protocol: first?.saTransformType === K.IPSEC_TRANSFORM_AH ? 'ah' : 'esp',
    ...algorithms(first),
    lifetimeSeconds: d.lifetime.seconds,
    lifetimeKilobytes: d.lifetime.kilobytes,
    inboundSpi: sa.inboundSa?.saList[0]?.spi,
    outboundSpi: sa.outboundSa?.saList[0]?.spi,
    localAddress: d.traffic.localAddress,
    remoteAddress: d.traffic.remoteAddress,
    remotePort: d.traffic.remotePort,
  };
}

/**
 * Looks the SAs of a connection up in a WFP session of its own (closed before this returns): the
 * main-mode SA by `mmSaId`, the quick-mode SAs as `WfpEngine.quickModeSas` finds them.
 * @throws SecureSocketError as `openWfpEngine`, `mainModeSa` and `quickModeSas`.
 */
export function lookupSecurityAssociations(
  ids: Required<WfpSaIds>,
  connection: WfpConnection,
  library?: WfpLibrary,
): SecurityAssociations {
  if (ids.mmSaId === 0n && ids.qmSaId === 0n) return { mainMode: undefined, quickMode: [] };
  using engine = openWfpEngine(library ? { library } : {});
  const mainMode = ids.mmSaId === 0n ? undefined : describeMainModeSa(engine.mainModeSa(ids.mmSaId));
  const quickMode = engine
    .quickModeSas(ids, connection)
    .map(describeQuickModeSa)
    .filter((sa): sa is QuickModeSecurityAssociation => sa !== undefined);
  return { mainMode, quickMode };
}
