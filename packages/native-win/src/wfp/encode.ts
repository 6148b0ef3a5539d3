/**
 * Encoders (and their decoders) of the WFP structures: `FWPM_SESSION0` and `FWPM_PROVIDER_CONTEXT0`
 * with an AuthIP main-mode `IKEEXT_POLICY0` or quick-mode `IPSEC_TRANSPORT_POLICY0`.
 *
 * Each encoding is one buffer: the top structure at offset 0, every structure and string it points
 * to after it (8-byte aligned). Pointers are kept as offsets until {@link relocate} writes the
 * buffer's address into them, right before the call, so the buffer is self-contained and the
 * caller keeps it alive for the call's duration.
 * @module
 */
import { readGuid, writeGuid } from '../abi/settings.js';
import { WFP_CONSTANTS as K, WFP_STRUCT_LAYOUTS as L } from './layout.js';
import type { CheckedWfpPolicy } from './policy.js';

/** A self-contained encoding whose pointer fields still hold offsets into `bytes`. */
export interface WfpEncoding {
  readonly bytes: Buffer;
  /** Pointer fields: `at` is the field's offset, `target` the offset it points to. */
  readonly pointers: readonly { readonly at: number; readonly target: number }[];
}

/** Writes `base + target` into every pointer field and returns the bytes (changed in place). */
export function relocate(encoding: WfpEncoding, base: bigint): Buffer {
  for (const { at, target } of encoding.pointers) encoding.bytes.writeBigUInt64LE(base + BigInt(target), at);
  return encoding.bytes;
}

class Builder {
  private readonly buf = Buffer.alloc(4096);
  private end = 0;
  private readonly pointers: { at: number; target: number }[] = [];

  alloc(size: number): number {
    const at = (this.end + 7) & ~7;
    this.end = at + size;
    return at;
  }
  u32(at: number, value: number): void {
    this.buf.writeUInt32LE(value >>> 0, at);
  }
  u8(at: number, value: number): void {
    this.buf.writeUInt8(value, at);
  }
  guid(at: number, guid: string): void {
    writeGuid(this.buf, at, guid);
  }
  pointer(at: number, target: number): void {
    this.pointers.push({ at, target });
  }
  wide(text: string): number {
    const bytes = Buffer.from(`${text}\0`, 'utf16le');
    const at = this.alloc(bytes.length);
    bytes.copy(this.buf, at);
    return at;
  }
  done(): WfpEncoding {
    return { bytes: Buffer.from(this.buf.subarray(0, this.end)), pointers: this.pointers };
  }
}

/** Options of {@link encodeSession}. */
export interface WfpSessionEncoding {
  /** Display name of the session (shown by `netsh wfp show state`). */
  name: string;
  /** `FWPM_SESSION_FLAG_DYNAMIC`: WFP deletes the session's objects when it closes. */
  dynamic: boolean;
  /** `txnWaitTimeoutInMSec`: how long a transaction waits for another one (0 = the system default). */
  txnWaitTimeoutMs: number;
}

/** Encodes the `FWPM_SESSION0` given to `FwpmEngineOpen0` (key left zero: WFP generates it). */
export function encodeSession(opts: WfpSessionEncoding): WfpEncoding {
  const b = new Builder();
  const s = b.alloc(L.FWPM_SESSION0.size);
  const o = L.FWPM_SESSION0.offsets;
  b.u32(s + o.flags, opts.dynamic ? K.FWPM_SESSION_FLAG_DYNAMIC : 0);
  b.u32(s + o.txnWaitTimeoutInMSec, opts.txnWaitTimeoutMs);
  b.pointer(s + o.displayData + L.FWPM_DISPLAY_DATA0.offsets.name, b.wide(opts.name));
  return b.done();
}

function mainModePolicy(b: Builder, user: boolean): number {
  const P = L.IKEEXT_POLICY0.offsets;
  const policy = b.alloc(L.IKEEXT_POLICY0.size);
  // One method: Kerberos (the domain's machine authentication, as in Microsoft's sample).
  const method = b.alloc(L.IKEEXT_AUTHENTICATION_METHOD0.size);
  b.u32(method + L.IKEEXT_AUTHENTICATION_METHOD0.offsets.authenticationMethodType, K.IKEEXT_KERBEROS);
  // One proposal: AES-256, SHA-256, ECDH P-256, 8 hours, no quick-mode limit.
  const proposal = b.alloc(L.IKEEXT_PROPOSAL0.size);
  const R = L.IKEEXT_PROPOSAL0.offsets;
  b.u32(
    proposal + R.cipherAlgorithm + L.IKEEXT_CIPHER_ALGORITHM0.offsets.algoIdentifier,
    K.IKEEXT_CIPHER_AES_256,
  );
  b.u32(proposal + R.integrityAlgorithm, K.IKEEXT_INTEGRITY_SHA_256);
  b.u32(proposal + R.maxLifetimeSeconds, MM_LIFETIME_SECONDS);
  b.u32(proposal + R.dhGroup, K.IKEEXT_DH_ECP_256);
  b.u32(policy + P.numAuthenticationMethods, 1);
  b.pointer(policy + P.authenticationMethods, method);
  b.u32(
    policy + P.initiatorImpersonationType,
    user ? K.IKEEXT_IMPERSONATION_SOCKET_PRINCIPAL : K.IKEEXT_IMPERSONATION_NONE,
  );
  b.u32(policy + P.numIkeProposals, 1);
  b.pointer(policy + P.ikeProposals, proposal);
  return policy;
}

function quickModePolicy(b: Builder, qm: Extract<CheckedWfpPolicy, { mode: 'quick' }>): number {
  const T = L.IPSEC_TRANSPORT_POLICY0.offsets;
  const policy = b.alloc(L.IPSEC_TRANSPORT_POLICY0.size);
  const proposal = b.alloc(L.IPSEC_PROPOSAL0.size);
  const transform = b.alloc(L.IPSEC_SA_TRANSFORM0.size);
  const P = L.IPSEC_PROPOSAL0.offsets;
  const life = L.IPSEC_SA_LIFETIME0.offsets;
  b.u32(proposal + P.lifetime + life.lifetimeSeconds, qm.seconds);
  b.u32(proposal + P.lifetime + life.lifetimeKilobytes, qm.kilobytes);
  b.u32(proposal + P.lifetime + life.lifetimePackets, QM_LIFETIME_PACKETS);
  b.u32(proposal + P.numSaTransforms, 1);
  b.pointer(proposal + P.saTransforms, transform);
  b.u32(proposal + P.pfsGroup, K.IPSEC_PFS_NONE);
  const auth = (at: number) => {
    const id = at + L.IPSEC_AUTH_TRANSFORM0.offsets.authTransformId;
    b.u32(id + L.IPSEC_AUTH_TRANSFORM_ID0.offsets.authType, K.IPSEC_AUTH_AES_256);
    b.u8(id + L.IPSEC_AUTH_TRANSFORM_ID0.offsets.authConfig, K.IPSEC_AUTH_CONFIG_GCM_AES_256);
  };
  const S = L.IPSEC_SA_TRANSFORM0.offsets;
  if (qm.protection === 'integrity') {
    // ESP with AES-256-GMAC: integrity without encryption, as the sim's 'integrity' transform.
    b.u32(transform + S.ipsecTransformType, K.IPSEC_TRANSFORM_ESP_AUTH);
    const at = b.alloc(L.IPSEC_AUTH_TRANSFORM0.size);
    auth(at);
    b.pointer(transform + S.espAuthTransform, at);
  } else {
    // ESP with AES-256-GCM: the auth and cipher halves must both name GCM.
    b.u32(transform + S.ipsecTransformType, K.IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER);
    const at = b.alloc(L.IPSEC_AUTH_AND_CIPHER_TRANSFORM0.size);
    auth(at + L.IPSEC_AUTH_AND_CIPHER_TRANSFORM0.offsets.authTransform);
    const id =
      at +
      L.IPSEC_AUTH_AND_CIPHER_TRANSFORM0.offsets.cipherTransform +
      L.IPSEC_CIPHER_TRANSFORM0.offsets.cipherTransformId;
    b.u32(id + L.IPSEC_CIPHER_TRANSFORM_ID0.offsets.cipherType, K.IPSEC_CIPHER_TYPE_AES_256);
    b.u8(id + L.IPSEC_CIPHER_TRANSFORM_ID0.offsets.cipherConfig, K.IPSEC_CIPHER_CONFIG_GCM_AES_256);
    b.pointer(transform + S.espAuthAndCipherTransform, at);
  }
  b.u32(policy + T.numIpsecProposals, 1);
  b.pointer(policy + T.ipsecProposals, proposal);
  // As the built-in secure-socket policy and Microsoft's sample: negotiation discovery in boundary
  // mode, 10 s of clear text allowed while negotiating, SA idle timeouts 5 min / 1 min.
  b.u32(policy + T.flags, K.IPSEC_POLICY_FLAG_ND_BOUNDARY);
  b.u32(policy + T.ndAllowClearTimeoutSeconds, ND_ALLOW_CLEAR_SECONDS);
  b.u32(policy + T.saIdleTimeout + L.IPSEC_SA_IDLE_TIMEOUT0.offsets.idleTimeoutSeconds, IDLE_SECONDS);
  b.u32(
    policy + T.saIdleTimeout + L.IPSEC_SA_IDLE_TIMEOUT0.offsets.idleTimeoutSecondsFailOver,
    IDLE_FAILOVER_SECONDS,
  );
  return policy;
}

/** Main-mode SA lifetime written into the proposal (the Windows default: 8 hours). */
export const MM_LIFETIME_SECONDS = 8 * 3600;
/** QM `lifetimePackets`: no packet limit in practice (as Windows' own policies). */
export const QM_LIFETIME_PACKETS = 0x7fff_ffff;
/** `ndAllowClearTimeoutSeconds`. */
export const ND_ALLOW_CLEAR_SECONDS = 10;
/** `saIdleTimeout.idleTimeoutSeconds`. */
export const IDLE_SECONDS = 300;
/** `saIdleTimeout.idleTimeoutSecondsFailOver`. */
export const IDLE_FAILOVER_SECONDS = 60;

/**
 * Encodes the `FWPM_PROVIDER_CONTEXT0` for `FwpmProviderContextAdd0`: type
 * `FWPM_IPSEC_AUTHIP_MM_CONTEXT` with an `IKEEXT_POLICY0`, or `FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT`
 * with an `IPSEC_TRANSPORT_POLICY0`; no provider, no provider data, `providerContextId` left to WFP.
 */
export function encodeProviderContext(policy: CheckedWfpPolicy, name: string): WfpEncoding {
  const b = new Builder();
  const C = L.FWPM_PROVIDER_CONTEXT0.offsets;
  const ctx = b.alloc(L.FWPM_PROVIDER_CONTEXT0.size);
  b.guid(ctx + C.providerContextKey, policy.key);
  b.pointer(ctx + C.displayData + L.FWPM_DISPLAY_DATA0.offsets.name, b.wide(name));
  if (policy.mode === 'main') {
    b.u32(ctx + C.type, K.FWPM_IPSEC_AUTHIP_MM_CONTEXT);
    b.pointer(ctx + C.authIpMmPolicy, mainModePolicy(b, policy.user));
  } else {
    b.u32(ctx + C.type, K.FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT);
    b.pointer(ctx + C.authipQmTransportPolicy, quickModePolicy(b, policy));
  }
  return b.done();
}

/** What {@link decodeProviderContext} reads back. */
export interface DecodedProviderContext {
  key: string | undefined;
  name: string;
  type: number;
  policy: CheckedWfpPolicy | undefined;
}

/**
 * Reads a relocated provider context back (test doubles, byte checks): follows its pointers as
 * offsets from `base`. Recognises exactly what {@link encodeProviderContext} writes; any other
 * policy content gives `policy: undefined`.
 */
export function decodeProviderContext(bytes: Uint8Array, base: bigint): DecodedProviderContext {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ptr = (at: number): number => {
    const p = buf.readBigUInt64LE(at);
    if (p === 0n) return -1;
    const off = p - base;
    return off >= 0n && off < BigInt(buf.length) ? Number(off) : -1;
  };
  const u32 = (at: number) => buf.readUInt32LE(at);
  const C = L.FWPM_PROVIDER_CONTEXT0.offsets;
  const nameAt = ptr(C.displayData);
  let name = '';
  if (nameAt >= 0) {
    let end = nameAt;
    while (end + 1 < buf.length && buf.readUInt16LE(end) !== 0) end += 2;
    name = buf.subarray(nameAt, end).toString('utf16le');
  }
  const key = readGuid(buf, C.providerContextKey);
  const type = u32(C.type);
  const out: DecodedProviderContext = { key, name, type, policy: undefined };
  if (!key) return out;
  if (type === K.FWPM_IPSEC_AUTHIP_MM_CONTEXT) {
    const p = ptr(C.authIpMmPolicy);
    if (p < 0) return out;
    const imp = u32(p + L.IKEEXT_POLICY0.offsets.initiatorImpersonationType);
    out.policy = { key, mode: 'main', user: imp === K.IKEEXT_IMPERSONATION_SOCKET_PRINCIPAL };
    return out;
  }
  if (type === K.FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT) {
    const p = ptr(C.authipQmTransportPolicy);
    const proposal = p < 0 ? -1 : ptr(p + L.IPSEC_TRANSPORT_POLICY0.offsets.ipsecProposals);
    const transform = proposal < 0 ? -1 : ptr(proposal + L.IPSEC_PROPOSAL0.offsets.saTransforms);
    if (transform < 0) return out;
    const kind = u32(transform + L.IPSEC_SA_TRANSFORM0.offsets.ipsecTransformType);
    const life = L.IPSEC_SA_LIFETIME0.offsets;
    out.policy = {
      key,
      mode: 'quick',
      protection: kind === K.IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER ? 'encryption' : 'integrity',
      seconds: u32(proposal + life.lifetimeSeconds),
      kilobytes: u32(proposal + life.lifetimeKilobytes),
    };
  }
  return out;
}

/** A main-mode SA as `IkeextSaGetById0` describes it (the fields the advanced sample prints). */
export interface WfpMainModeSa {
  saId: bigint;
  keyModule: 'ike' | 'authip' | 'ikev2' | number;
  ipVersion: 4 | 6;
  localAddress: string;
  remoteAddress: string;
  /** `IKEEXT_CIPHER_TYPE`, `IKEEXT_INTEGRITY_TYPE` and `IKEEXT_DH_GROUP` of the negotiated proposal. */
  cipher: number;
  integrity: number;
  dhGroup: number;
  maxLifetimeSeconds: number;
  /** The main-mode policy (provider-context key) the SA was negotiated under, if any. */
  policyKey: string | undefined;
}

function address(bytes: Buffer, at: number, v6: boolean): string {
  if (!v6) {
    // FWP keeps IPv4 addresses as host-order UINT32s.
    const v = bytes.readUInt32LE(at);
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
  }
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(bytes.readUInt16BE(at + i).toString(16));
  return parts.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Decodes the `IKEEXT_SA_DETAILS0` WFP returned (its first 160 bytes). */
export function decodeSaDetails(raw: Uint8Array): WfpMainModeSa {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const D = L.IKEEXT_SA_DETAILS0.offsets;
  const T = L.IKEEXT_TRAFFIC0.offsets;
  const P = L.IKEEXT_PROPOSAL0.offsets;
  const module = bytes.readUInt32LE(D.keyModuleType);
  const v6 = bytes.readUInt32LE(D.ipVersion) === K.FWP_IP_VERSION_V6;
  const names: Record<number, 'ike' | 'authip' | 'ikev2'> = {
    [K.IKEEXT_KEY_MODULE_IKE]: 'ike',
    [K.IKEEXT_KEY_MODULE_AUTHIP]: 'authip',
    [K.IKEEXT_KEY_MODULE_IKEV2]: 'ikev2',
  };
  return {
    saId: bytes.readBigUInt64LE(D.saId),
    keyModule: names[module] ?? module,
    ipVersion: v6 ? 6 : 4,
    localAddress: address(bytes, D.ikeTraffic + T.localV4Address, v6),
    remoteAddress: address(bytes, D.ikeTraffic + T.remoteV4Address, v6),
    cipher: bytes.readUInt32LE(D.ikeProposal + P.cipherAlgorithm),
    integrity: bytes.readUInt32LE(D.ikeProposal + P.integrityAlgorithm),
    dhGroup: bytes.readUInt32LE(D.ikeProposal + P.dhGroup),
    maxLifetimeSeconds: bytes.readUInt32LE(D.ikeProposal + P.maxLifetimeSeconds),
    policyKey: readGuid(bytes, D.ikePolicyKey),
  };
}
