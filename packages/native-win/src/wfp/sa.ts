/**
 * The quick-mode side of the advanced sample's `MatchIPsecSAsForConnectedSocket`: the
 * `IPSEC_SA_CONTEXT_ENUM_TEMPLATE0` that `IPsecSaContextCreateEnumHandle0` takes (the connection's
 * address pair), and the decoder of the `IPSEC_SA_CONTEXT0` that `IPsecSaContextEnum0` and
 * `IPsecSaContextGetById0` return, following its pointers through WFP's memory.
 * @module
 */
import { isIPv4 } from 'node:net';
import { SecureSocketError } from '@wsasec/core';
import { bytesToIpv6, ipv6ToBytes } from '../abi/address.js';
import type { WfpEncoding } from './encode.js';
import { WFP_CONSTANTS as K, WFP_STRUCT_LAYOUTS as L } from './layout.js';

/** One SA of a bundle (`IPSEC_SA0`): its transform and the algorithms it negotiated. */
export interface WfpIpsecSa {
  /** `spi`: the Security Parameters Index. */
  readonly spi: number;
  /** `saTransformType`: `IPSEC_TRANSFORM_AH`, `_ESP_AUTH`, `_ESP_CIPHER`, `_ESP_AUTH_AND_CIPHER` or `_ESP_AUTH_FW`. */
  readonly saTransformType: number;
  /**
   * The integrity transform (`authTransform.authTransformId`): `IPSEC_AUTH_TYPE` and
   * `IPSEC_AUTH_CONFIG`. Present for AH, ESP auth (also firewall) and ESP auth-and-cipher.
   */
  readonly auth: { readonly authType: number; readonly authConfig: number } | undefined;
  /**
   * The encryption (`cipherTransform.cipherTransformId`): `IPSEC_CIPHER_TYPE` and
   * `IPSEC_CIPHER_CONFIG`. Present for ESP cipher and ESP auth-and-cipher.
   */
  readonly cipher: { readonly cipherType: number; readonly cipherConfig: number } | undefined;
}

/** The traffic an SA protects (`IPSEC_TRAFFIC0`). */
export interface WfpIpsecTraffic {
  /** `localV4Address` / `localV6Address`, as text. */
  readonly localAddress: string;
  /** `remoteV4Address` / `remoteV6Address`, as text. */
  readonly remoteAddress: string;
  /** `trafficType`: `'transport'` (`IPSEC_TRAFFIC_TYPE_TRANSPORT`), `'tunnel'`, or the raw value. */
  readonly trafficType: 'transport' | 'tunnel' | number;
  /** `ipsecFilterId` (transport) or `tunnelPolicyId` (tunnel). */
  readonly ipsecFilterId: bigint;
  /** `remotePort`: 0 when the SA covers every remote port. */
  readonly remotePort: number;
}

/** One direction of a quick-mode SA (`IPSEC_SA_DETAILS0` with its `IPSEC_SA_BUNDLE0`). */
export interface WfpIpsecSaDetails {
  /** `ipVersion`. */
  readonly ipVersion: 4 | 6;
  /** `saDirection` (`FWP_DIRECTION_INBOUND` / `_OUTBOUND`). */
  readonly saDirection: 'inbound' | 'outbound';
  /** `traffic`. */
  readonly traffic: WfpIpsecTraffic;
  /** `saBundle.flags` (`IPSEC_SA_BUNDLE_FLAG_*`). */
  readonly flags: number;
  /** `saBundle.lifetime` (`IPSEC_SA_LIFETIME0`). */
  readonly lifetime: { readonly seconds: number; readonly kilobytes: number; readonly packets: number };
  /** `saBundle.idleTimeoutSeconds`. */
  readonly idleTimeoutSeconds: number;
  /** `saBundle.ndAllowClearTimeoutSeconds`. */
  readonly ndAllowClearTimeoutSeconds: number;
  /** `saBundle.qmSaId`: the quick-mode SA id (a `UINT32` here, a `UINT64` in the IPSEC2 query). */
  readonly qmSaId: number;
  /** `saBundle.mmSaId`: the main-mode SA it was negotiated under (`engine.mainModeSa(mmSaId)`). */
  readonly mmSaId: bigint;
  /** `saBundle.pfsGroup` (`IPSEC_PFS_GROUP`). */
  readonly pfsGroup: number;
  /** `saBundle.saList` (`numSAs` entries): AH and/or ESP. */
  readonly saList: readonly WfpIpsecSa[];
}

/** A quick-mode SA context (`IPSEC_SA_CONTEXT0`): an inbound and an outbound SA. */
export interface WfpQuickModeSa {
  /** `saContextId` (what `IPsecSaContextGetById0` takes). */
  readonly saContextId: bigint;
  /** `inboundSa`, if WFP returned one. */
  readonly inboundSa: WfpIpsecSaDetails | undefined;
  /** `outboundSa`, if WFP returned one. */
  readonly outboundSa: WfpIpsecSaDetails | undefined;
}

/** Reads `length` bytes at a pointer WFP returned (a `WfpLibrary.readBytes`). */
export type ReadMemory = (ptr: bigint, length: number) => Uint8Array;

/** More SAs than a bundle can hold (AH + ESP, with room): the memory is not what the header says. */
const MAX_SAS_PER_BUNDLE = 16;

function invalid(message: string, syscall: string): never {
  throw new SecureSocketError('ERR_WSASEC_INVALID_ARGUMENT', message, { syscall });
}

function corrupt(what: string): never {
  throw new SecureSocketError(
    'ERR_WSASEC_INTERNAL',
    `WFP returned an unreadable IPSEC_SA_CONTEXT0: ${what}`,
    {
      syscall: 'IPsecSaContextEnum0',
    },
  );
}

function view(raw: Uint8Array): Buffer {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
}

function address(b: Buffer, at: number, v6: boolean): string {
  if (v6) return bytesToIpv6(b.subarray(at, at + 16));
  // FWP keeps IPv4 addresses as host-order UINT32s.
  const v = b.readUInt32LE(at);
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

function decodeSa(read: ReadMemory, b: Buffer, at: number): WfpIpsecSa {
  const S = L.IPSEC_SA0.offsets;
  const type = b.readUInt32LE(at + S.saTransformType);
  const info = b.readBigUInt64LE(at + S.espAuthInformation);
  const authId = (raw: Buffer, base: number) => {
    const id = base + L.IPSEC_AUTH_TRANSFORM0.offsets.authTransformId;
    return {
      authType: raw.readUInt32LE(id + L.IPSEC_AUTH_TRANSFORM_ID0.offsets.authType),
      authConfig: raw.readUInt8(id + L.IPSEC_AUTH_TRANSFORM_ID0.offsets.authConfig),
    };
  };
  const cipherId = (raw: Buffer, base: number) => {
    const id = base + L.IPSEC_CIPHER_TRANSFORM0.offsets.cipherTransformId;
    return {
      cipherType: raw.readUInt32LE(id + L.IPSEC_CIPHER_TRANSFORM_ID0.offsets.cipherType),
      cipherConfig: raw.readUInt8(id + L.IPSEC_CIPHER_TRANSFORM_ID0.offsets.cipherConfig),
    };
  };
  let auth: WfpIpsecSa['auth'];
  let cipher: WfpIpsecSa['cipher'];
  if (info !== 0n) {
    if (
      type === K.IPSEC_TRANSFORM_AH ||
      type === K.IPSEC_TRANSFORM_ESP_AUTH ||
      type === K.IPSEC_TRANSFORM_ESP_AUTH_FW
    ) {
      const raw = view(read(info, L.IPSEC_SA_AUTH_INFORMATION0.size));
      auth = authId(raw, L.IPSEC_SA_AUTH_INFORMATION0.offsets.authTransform);
    } else if (type === K.IPSEC_TRANSFORM_ESP_CIPHER) {
      const raw = view(read(info, L.IPSEC_SA_CIPHER_INFORMATION0.size));
      cipher = cipherId(raw, L.IPSEC_SA_CIPHER_INFORMATION0.offsets.cipherTransform);
    } else if (type === K.IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER) {
      const raw = view(read(info, L.IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0.size));
      const O = L.IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0.offsets;
      auth = authId(raw, O.saAuthInformation + L.IPSEC_SA_AUTH_INFORMATION0.offsets.authTransform);
      cipher = cipherId(raw, O.saCipherInformation + L.IPSEC_SA_CIPHER_INFORMATION0.offsets.cipherTransform);
    }
  }
  return { spi: b.readUInt32LE(at + S.spi), saTransformType: type, auth, cipher };
}

function decodeDetails(read: ReadMemory, ptr: bigint): WfpIpsecSaDetails | undefined {
  if (ptr === 0n) return undefined;
  const b = view(read(ptr, L.IPSEC_SA_DETAILS0.size));
  const D = L.IPSEC_SA_DETAILS0.offsets;
  const T = L.IPSEC_TRAFFIC0.offsets;
  const B = L.IPSEC_SA_BUNDLE0.offsets;
  const life = L.IPSEC_SA_LIFETIME0.offsets;
  const t = D.traffic;
  const bundle = D.saBundle;
  const v6 = b.readUInt32LE(D.ipVersion) === K.FWP_IP_VERSION_V6;
  const trafficV6 = b.readUInt32LE(t + T.ipVersion) === K.FWP_IP_VERSION_V6;
  const trafficType = b.readUInt32LE(t + T.trafficType);
  const numSAs = b.readUInt32LE(bundle + B.numSAs);
  const list = b.readBigUInt64LE(bundle + B.saList);
  if (numSAs > MAX_SAS_PER_BUNDLE) corrupt(`numSAs is ${numSAs}`);
  if (numSAs > 0 && list === 0n) corrupt(`numSAs is ${numSAs} but saList is NULL`);
  const sas = numSAs > 0 ? view(read(list, numSAs * L.IPSEC_SA0.size)) : Buffer.alloc(0);
  return {
    ipVersion: v6 ? 6 : 4,
    saDirection: b.readUInt32LE(D.saDirection) === K.FWP_DIRECTION_INBOUND ? 'inbound' : 'outbound',
    traffic: {
      localAddress: address(b, t + T.localV4Address, trafficV6),
      remoteAddress: address(b, t + T.remoteV4Address, trafficV6),
      trafficType:
        trafficType === K.IPSEC_TRAFFIC_TYPE_TRANSPORT
          ? 'transport'
          : trafficType === K.IPSEC_TRAFFIC_TYPE_TUNNEL
            ? 'tunnel'
            : trafficType,
      ipsecFilterId: b.readBigUInt64LE(t + T.ipsecFilterId),
      remotePort: b.readUInt16LE(t + T.remotePort),
    },
    flags: b.readUInt32LE(bundle + B.flags),
    lifetime: {
      seconds: b.readUInt32LE(bundle + B.lifetime + life.lifetimeSeconds),
      kilobytes: b.readUInt32LE(bundle + B.lifetime + life.lifetimeKilobytes),
      packets: b.readUInt32LE(bundle + B.lifetime + life.lifetimePackets),
    },
    idleTimeoutSeconds: b.readUInt32LE(bundle + B.idleTimeoutSeconds),
    ndAllowClearTimeoutSeconds: b.readUInt32LE(bundle + B.ndAllowClearTimeoutSeconds),
    qmSaId: b.readUInt32LE(bundle + B.qmSaId),
    mmSaId: b.readBigUInt64LE(bundle + B.mmSaId),
    pfsGroup: b.readUInt32LE(bundle + B.pfsGroup),
    saList: Array.from({ length: numSAs }, (_, i) => decodeSa(read, sas, i * L.IPSEC_SA0.size)),
  };
}

/**
 * Decodes the `IPSEC_SA_CONTEXT0` at `ptr` and everything it points to, through `read`.
 * @throws SecureSocketError ERR_WSASEC_INTERNAL when the memory cannot be what the header says
 *   (a NULL context, more than 16 SAs in a bundle, a NULL `saList` with SAs).
 */
export function decodeSaContext(read: ReadMemory, ptr: bigint): WfpQuickModeSa {
  if (ptr === 0n) corrupt('a NULL context');
  const b = view(read(ptr, L.IPSEC_SA_CONTEXT0.size));
  const C = L.IPSEC_SA_CONTEXT0.offsets;
  return {
    saContextId: b.readBigUInt64LE(C.saContextId),
    inboundSa: decodeDetails(read, b.readBigUInt64LE(C.inboundSa)),
    outboundSa: decodeDetails(read, b.readBigUInt64LE(C.outboundSa)),
  };
}

/** The address pair of {@link encodeSaContextEnumTemplate} (the sample's getsockname / getpeername). */
export interface WfpAddressPair {
  readonly localAddress: string;
  readonly remoteAddress: string;
}

/** An IPv4 literal (also `::ffff:a.b.c.d`, as a dual-stack socket reports it) or undefined. */
function ipv4Of(text: string): string | undefined {
  if (isIPv4(text)) return text;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text)?.[1];
  return mapped && isIPv4(mapped) ? mapped : undefined;
}

/** `4` or `6` when both addresses are literals of one family (a mapped IPv4 counts as IPv4). */
export function addressFamilyOf(pair: WfpAddressPair): 4 | 6 | undefined {
  const v4 = [ipv4Of(pair.localAddress), ipv4Of(pair.remoteAddress)];
  if (v4[0] && v4[1]) return 4;
  if (v4[0] || v4[1]) return undefined;
  try {
    ipv6ToBytes(pair.localAddress);
    ipv6ToBytes(pair.remoteAddress);
    return 6;
  } catch {
    return undefined;
  }
}

/**
 * Encodes the `IPSEC_SA_CONTEXT_ENUM_TEMPLATE0` of the sample: `localSubNet` and `remoteSubNet`
 * are the connection's two addresses, `FWP_UINT32` (host order) for IPv4 or
 * `FWP_BYTE_ARRAY16_TYPE` pointing to the 16 bytes for IPv6. Check the pair with
 * {@link addressFamilyOf} first.
 */
export function encodeSaContextEnumTemplate(pair: WfpAddressPair): WfpEncoding {
  const T = L.IPSEC_SA_CONTEXT_ENUM_TEMPLATE0.offsets;
  const V = L.FWP_CONDITION_VALUE0.offsets;
  const v6 = addressFamilyOf(pair) === 6;
  const bytes = Buffer.alloc(L.IPSEC_SA_CONTEXT_ENUM_TEMPLATE0.size + (v6 ? 32 : 0));
  const pointers: { at: number; target: number }[] = [];
  [pair.localAddress, pair.remoteAddress].forEach((text, i) => {
    const at = i === 0 ? T.localSubNet : T.remoteSubNet;
    if (!v6) {
      const parts = (ipv4Of(text) ?? '0.0.0.0').split('.').map(Number);
      const host =
        (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
      bytes.writeUInt32LE(K.FWP_UINT32, at + V.type);
      bytes.writeUInt32LE(host, at + V.uint32);
      return;
    }
    const target = L.IPSEC_SA_CONTEXT_ENUM_TEMPLATE0.size + i * 16;
    bytes.set(ipv6ToBytes(text), target);
    bytes.writeUInt32LE(K.FWP_BYTE_ARRAY16_TYPE, at + V.type);
    pointers.push({ at: at + V.byteArray16, target });
  });
  return { bytes, pointers };
}

/** More SA contexts than one enumeration can sensibly return: the count is not what WFP meant. */
const MAX_SA_CONTEXTS = 1 << 20;

/**
 * Decodes the `IPSEC_SA_CONTEXT0 **` array `IPsecSaContextEnum0` returned (`count` entries).
 * @throws SecureSocketError ERR_WSASEC_INTERNAL as {@link decodeSaContext}, or for a NULL array
 *   with entries.
 */
export function decodeSaContextList(read: ReadMemory, entries: bigint, count: number): WfpQuickModeSa[] {
  if (count === 0) return [];
  if (count > MAX_SA_CONTEXTS) corrupt(`${count} entries`);
  if (entries === 0n) corrupt(`${count} entries but a NULL array`);
  const ptrs = view(read(entries, count * 8));
  return Array.from({ length: count }, (_, i) => decodeSaContext(read, ptrs.readBigUInt64LE(i * 8)));
}

/**
 * Encodes SA contexts as `IPsecSaContextEnum0` returns them (the inverse of
 * {@link decodeSaContextList}; used by test doubles): the `IPSEC_SA_CONTEXT0 *` array at offset 0,
 * then each context and everything it points to. Pointers stay offsets until `relocate`.
 */
export function encodeSaContextList(list: readonly WfpQuickModeSa[]): WfpEncoding {
  const chunks: { at: number; bytes: Buffer }[] = [];
  const pointers: { at: number; target: number }[] = [];
  let end = 0;
  // Each structure is its own chunk `b` at offset `b.at` of the encoding; `b.bytes` is written.
  type Chunk = { at: number; bytes: Buffer };
  const alloc = (size: number): Chunk => {
    const at = (end + 7) & ~7;
    end = at + size;
    const chunk = { at, bytes: Buffer.alloc(size) };
    chunks.push(chunk);
    return chunk;
  };
  const pointer = (from: Chunk, field: number, target: number) =>
    pointers.push({ at: from.at + field, target });
  const writeAddress = (b: Buffer, at: number, text: string, v6: boolean) => {
    if (v6) b.set(ipv6ToBytes(text), at);
    else {
      const p = (ipv4Of(text) ?? '0.0.0.0').split('.').map(Number);
      b.writeUInt32LE(
        (((p[0] ?? 0) << 24) | ((p[1] ?? 0) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0)) >>> 0,
        at,
      );
    }
  };
  const writeSa = (list: Chunk, at: number, sa: WfpIpsecSa) => {
    const S = L.IPSEC_SA0.offsets;
    list.bytes.writeUInt32LE(sa.spi >>> 0, at + S.spi);
    list.bytes.writeUInt32LE(sa.saTransformType, at + S.saTransformType);
    const auth = (raw: Buffer, base: number) => {
      const id = base + L.IPSEC_AUTH_TRANSFORM0.offsets.authTransformId;
      raw.writeUInt32LE(sa.auth?.authType ?? 0, id + L.IPSEC_AUTH_TRANSFORM_ID0.offsets.authType);
      raw.writeUInt8(sa.auth?.authConfig ?? 0, id + L.IPSEC_AUTH_TRANSFORM_ID0.offsets.authConfig);
    };
    const cipher = (raw: Buffer, base: number) => {
      const id = base + L.IPSEC_CIPHER_TRANSFORM0.offsets.cipherTransformId;
      raw.writeUInt32LE(sa.cipher?.cipherType ?? 0, id + L.IPSEC_CIPHER_TRANSFORM_ID0.offsets.cipherType);
      raw.writeUInt8(sa.cipher?.cipherConfig ?? 0, id + L.IPSEC_CIPHER_TRANSFORM_ID0.offsets.cipherConfig);
    };
    const type = sa.saTransformType;
    if (type === K.IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER && sa.auth && sa.cipher) {
      const info = alloc(L.IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0.size);
      const O = L.IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0.offsets;
      auth(info.bytes, O.saAuthInformation + L.IPSEC_SA_AUTH_INFORMATION0.offsets.authTransform);
      cipher(info.bytes, O.saCipherInformation + L.IPSEC_SA_CIPHER_INFORMATION0.offsets.cipherTransform);
      pointer(list, at + S.espAuthAndCipherInformation, info.at);
    } else if (type === K.IPSEC_TRANSFORM_ESP_CIPHER && sa.cipher) {
      const info = alloc(L.IPSEC_SA_CIPHER_INFORMATION0.size);
      cipher(info.bytes, L.IPSEC_SA_CIPHER_INFORMATION0.offsets.cipherTransform);
      pointer(list, at + S.espCipherInformation, info.at);
    } else if (
      sa.auth &&
      type !== K.IPSEC_TRANSFORM_ESP_CIPHER &&
      type !== K.IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER
    ) {
      const info = alloc(L.IPSEC_SA_AUTH_INFORMATION0.size);
      auth(info.bytes, L.IPSEC_SA_AUTH_INFORMATION0.offsets.authTransform);
      pointer(list, at + S.espAuthInformation, info.at);
    }
  };
  const writeDetails = (d: WfpIpsecSaDetails): number => {
    const chunk = alloc(L.IPSEC_SA_DETAILS0.size);
    const b = chunk.bytes;
    const D = L.IPSEC_SA_DETAILS0.offsets;
    const T = L.IPSEC_TRAFFIC0.offsets;
    const B = L.IPSEC_SA_BUNDLE0.offsets;
    const life = L.IPSEC_SA_LIFETIME0.offsets;
    const v6 = d.ipVersion === 6;
    const version = v6 ? K.FWP_IP_VERSION_V6 : K.FWP_IP_VERSION_V4;
    b.writeUInt32LE(version, D.ipVersion);
    b.writeUInt32LE(
      d.saDirection === 'inbound' ? K.FWP_DIRECTION_INBOUND : K.FWP_DIRECTION_OUTBOUND,
      D.saDirection,
    );
    const t = D.traffic;
    b.writeUInt32LE(version, t + T.ipVersion);
    writeAddress(b, t + T.localV4Address, d.traffic.localAddress, v6);
    writeAddress(b, t + T.remoteV4Address, d.traffic.remoteAddress, v6);
    const kind = d.traffic.trafficType;
    b.writeUInt32LE(
      kind === 'transport'
        ? K.IPSEC_TRAFFIC_TYPE_TRANSPORT
        : kind === 'tunnel'
          ? K.IPSEC_TRAFFIC_TYPE_TUNNEL
          : kind,
      t + T.trafficType,
    );
    b.writeBigUInt64LE(d.traffic.ipsecFilterId, t + T.ipsecFilterId);
    b.writeUInt16LE(d.traffic.remotePort, t + T.remotePort);
    const s = D.saBundle;
    b.writeUInt32LE(d.flags >>> 0, s + B.flags);
    b.writeUInt32LE(d.lifetime.seconds, s + B.lifetime + life.lifetimeSeconds);
    b.writeUInt32LE(d.lifetime.kilobytes, s + B.lifetime + life.lifetimeKilobytes);
    b.writeUInt32LE(d.lifetime.packets, s + B.lifetime + life.lifetimePackets);
    b.writeUInt32LE(d.idleTimeoutSeconds, s + B.idleTimeoutSeconds);
    b.writeUInt32LE(d.ndAllowClearTimeoutSeconds, s + B.ndAllowClearTimeoutSeconds);
    b.writeUInt32LE(d.qmSaId >>> 0, s + B.qmSaId);
    b.writeUInt32LE(d.saList.length, s + B.numSAs);
    b.writeUInt32LE(version, s + B.ipVersion);
    b.writeBigUInt64LE(d.mmSaId, s + B.mmSaId);
    b.writeUInt32LE(d.pfsGroup, s + B.pfsGroup);
    if (d.saList.length > 0) {
      const sas = alloc(d.saList.length * L.IPSEC_SA0.size);
      d.saList.forEach((sa, i) => {
        writeSa(sas, i * L.IPSEC_SA0.size, sa);
      });
      pointer(chunk, s + B.saList, sas.at);
    }
    return chunk.at;
  };
  const array = alloc(list.length * 8);
  list.forEach((sa, i) => {
    const c = alloc(L.IPSEC_SA_CONTEXT0.size);
    const C = L.IPSEC_SA_CONTEXT0.offsets;
    c.bytes.writeBigUInt64LE(sa.saContextId, C.saContextId);
    pointer(array, i * 8, c.at);
    if (sa.inboundSa) pointer(c, C.inboundSa, writeDetails(sa.inboundSa));
    if (sa.outboundSa) pointer(c, C.outboundSa, writeDetails(sa.outboundSa));
  });
  const bytes = Buffer.alloc(Math.max(end, 8));
  for (const chunk of chunks) chunk.bytes.copy(bytes, chunk.at);
  return { bytes, pointers };
}

/**
 * Reads a relocated `IPSEC_SA_CONTEXT_ENUM_TEMPLATE0` back (the inverse of
 * {@link encodeSaContextEnumTemplate}, for test doubles): `readAt` reads the 16 bytes an IPv6
 * subnet points to. Values of another type than the encoder writes give `undefined`.
 */
export function decodeSaContextEnumTemplate(
  raw: Uint8Array,
  readAt: ReadMemory,
): { localAddress: string | undefined; remoteAddress: string | undefined } {
  const b = view(raw);
  const T = L.IPSEC_SA_CONTEXT_ENUM_TEMPLATE0.offsets;
  const V = L.FWP_CONDITION_VALUE0.offsets;
  const one = (at: number): string | undefined => {
    const type = b.readUInt32LE(at + V.type);
    if (type === K.FWP_UINT32) return address(b, at + V.uint32, false);
    if (type === K.FWP_BYTE_ARRAY16_TYPE)
      return bytesToIpv6(readAt(b.readBigUInt64LE(at + V.byteArray16), 16));
    return undefined;
  };
  return { localAddress: one(T.localSubNet), remoteAddress: one(T.remoteSubNet) };
}

/**
 * The SA ids of a connection's IPSEC2 query (`SecurityInfo.mmSaId` / `qmSaId`): a `SecurityInfo`
 * from `querySecurity({ ipsec2: {} })` fits as it is.
 */
export interface WfpSaIds {
  /** `MmSaId`: keep the quick-mode SAs negotiated under this main-mode SA (0 or absent: any). */
  readonly mmSaId?: bigint | undefined;
  /** `QmSaId`: keep the quick-mode SA with this id (0 or absent: any). */
  readonly qmSaId?: bigint | undefined;
}

/**
 * The connection whose quick-mode SAs `WfpEngine.quickModeSas` looks up, as the sample takes
 * it from `getsockname` / `getpeername`: a connected `SecureSocket` (or `net.Socket`) fits.
 */
export interface WfpConnection {
  /** The local IP address (IPv4, IPv6, or IPv4-mapped IPv6). */
  readonly localAddress?: string | undefined;
  /** The peer's IP address, of the same family. */
  readonly remoteAddress?: string | undefined;
  /** The peer's port: SAs bound to another remote port are left out (0 or absent: any). */
  readonly remotePort?: number | undefined;
}

const MAX_U64 = 0xffff_ffff_ffff_ffffn;

/** Checks the ids `WfpEngine.quickModeSas` takes (absent ones as 0). */
export function checkSaIds(info: unknown, syscall: string): { mmSaId: bigint; qmSaId: bigint } {
  const accepted =
    'the SecurityInfo of an IPSEC2 query (socket.querySecurity({ ipsec2: {} })) or { mmSaId?, qmSaId? } as 64-bit bigints';
  if (typeof info !== 'object' || info === null)
    invalid(`quickModeSas needs ${accepted}, got ${String(info)}`, syscall);
  const { mmSaId, qmSaId } = info as WfpSaIds;
  if (mmSaId === undefined && qmSaId === undefined)
    invalid(`quickModeSas needs SA ids: ${accepted}; this one has neither mmSaId nor qmSaId`, syscall);
  for (const [name, v] of [
    ['mmSaId', mmSaId],
    ['qmSaId', qmSaId],
  ] as const) {
    if (v !== undefined && (typeof v !== 'bigint' || v < 0n || v > MAX_U64))
      invalid(`${name} must be a 64-bit bigint (SecurityInfo.${name}), got ${String(v)}`, syscall);
  }
  return { mmSaId: mmSaId ?? 0n, qmSaId: qmSaId ?? 0n };
}

/** Checks the connection `WfpEngine.quickModeSas` takes (an absent port as 0). */
export function checkConnection(
  connection: unknown,
  syscall: string,
): { localAddress: string; remoteAddress: string; remotePort: number } {
  const accepted =
    'a connected socket: { localAddress, remoteAddress } IP literals of one family, remotePort?';
  if (typeof connection !== 'object' || connection === null)
    invalid(`quickModeSas needs ${accepted}, got ${String(connection)}`, syscall);
  const { localAddress, remoteAddress, remotePort } = connection as WfpConnection;
  if (
    typeof localAddress !== 'string' ||
    typeof remoteAddress !== 'string' ||
    addressFamilyOf({ localAddress, remoteAddress }) === undefined
  )
    invalid(
      `quickModeSas needs ${accepted}, got ${JSON.stringify(localAddress)} and ${JSON.stringify(remoteAddress)}`,
      syscall,
    );
  if (remotePort !== undefined && !(Number.isInteger(remotePort) && remotePort >= 0 && remotePort <= 65535))
    invalid(`remotePort must be a port number from 0 to 65535, got ${String(remotePort)}`, syscall);
  return { localAddress, remoteAddress, remotePort: remotePort ?? 0 };
}
