import type { NormalizedQuery } from '@wsasec/core';
import { SecureSocketError, SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE } from '@wsasec/core';
import { decodeSockaddr, WIN_AF_INET6, writeSockaddr } from './address.js';
import { OFF, STRUCT_LAYOUTS } from './layout.js';
import { readGuid, writeGuid } from './settings.js';

const TEMPLATE_SIZE = STRUCT_LAYOUTS.SOCKET_SECURITY_QUERY_TEMPLATE.size;
const TEMPLATE2_SIZE = STRUCT_LAYOUTS.SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2.size;
/** `sizeof(SOCKET_SECURITY_QUERY_INFO)`. */
export const QUERY_INFO_SIZE = STRUCT_LAYOUTS.SOCKET_SECURITY_QUERY_INFO.size;
/** `sizeof(SOCKET_SECURITY_QUERY_INFO_IPSEC2)`. */
export const QUERY_INFO_IPSEC2_SIZE = STRUCT_LAYOUTS.SOCKET_SECURITY_QUERY_INFO_IPSEC2.size;

const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/**
 * Encodes the template of `WSAQuerySocketSecurity`: `null` (length 0) when nothing beyond the default
 * information is asked for (what Microsoft's TCP sample passes), `SOCKET_SECURITY_QUERY_TEMPLATE`
 * (144 bytes), or `SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2` (152 bytes) when the protocol is IPSEC2.
 */
export function encodeQueryTemplate(query: NormalizedQuery): Buffer | null {
  const plain = query.protocol === 0 && query.tokenAccess === 0 && !query.peerAddress && !query.ipsec2;
  if (plain) return null;
  const v2 = query.protocol === 2;
  const buf = Buffer.alloc(v2 ? TEMPLATE2_SIZE : TEMPLATE_SIZE);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  v.setInt32(OFF.TPL_Protocol, query.protocol, true);
  if (query.peerAddress) writeSockaddr(buf, OFF.TPL_PeerAddress, query.peerAddress);
  v.setUint32(OFF.TPL_Access, query.tokenAccess >>> 0, true);
  if (v2) {
    const flags = query.ipsec2?.abortOnFieldChange ? SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE : 0;
    v.setUint32(OFF.TPL_Flags, flags, true);
    v.setUint32(OFF.TPL_FieldMask, query.ipsec2?.fieldMask ?? 0, true);
  }
  return buf;
}

/**
 * Decodes what {@link encodeQueryTemplate} wrote (used by test doubles and to check bytes).
 * @throws SecureSocketError WSAEMSGSIZE (a length that is neither 0, 144 nor at least 152).
 */
export function decodeQueryTemplate(
  buf: Uint8Array | null,
  length: number,
  af6 = WIN_AF_INET6,
): NormalizedQuery {
  if (buf === null || length === 0) return { protocol: 0, tokenAccess: 0 };
  if (length < TEMPLATE_SIZE || buf.byteLength < length) {
    throw new SecureSocketError(
      'WSAEMSGSIZE',
      `a query template needs ${TEMPLATE_SIZE} bytes, got ${length}`,
    );
  }
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const protocol = v.getInt32(OFF.TPL_Protocol, true);
  if (protocol < 0 || protocol > 2) {
    throw new SecureSocketError('WSAEINVAL', `SecurityProtocol ${protocol} is not 0, 1 or 2`);
  }
  const result: NormalizedQuery = {
    protocol: protocol as 0 | 1 | 2,
    tokenAccess: v.getUint32(OFF.TPL_Access, true),
  };
  const peer = decodeSockaddr(buf, OFF.TPL_PeerAddress, af6);
  if (peer) result.peerAddress = peer;
  if (length >= TEMPLATE2_SIZE) {
    const flags = v.getUint32(OFF.TPL_Flags, true);
    result.ipsec2 = {
      fieldMask: v.getUint32(OFF.TPL_FieldMask, true),
      abortOnFieldChange: (flags & SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE) !== 0,
    };
  }
  return result;
}

/** The decoded `SOCKET_SECURITY_QUERY_INFO[_IPSEC2]`. Token handles are 0 when absent. */
export interface QueryInfo {
  protocol: number;
  flags: number;
  /** `PeerApplicationAccessTokenHandle` (a HANDLE the caller must close). */
  applicationToken: bigint;
  /** `PeerMachineAccessTokenHandle` (a HANDLE the caller must close). */
  machineToken: bigint;
  /** Present when the returned length covers `SOCKET_SECURITY_QUERY_INFO_IPSEC2` (64 bytes). */
  ipsec2?: { mmSaId: bigint; qmSaId: bigint; negotiationError: number; saLookupContext: string };
}

/**
 * Decodes the output of `WSAQuerySocketSecurity`. Reads the IPSEC2 fields only when `length` is at
 * least 64, as NtApiDotNet does (never assumes 24).
 * @throws SecureSocketError WSAEMSGSIZE when fewer than 24 bytes were returned.
 */
export function decodeQueryInfo(buf: Uint8Array, length: number): QueryInfo {
  if (length < QUERY_INFO_SIZE || buf.byteLength < Math.min(length, QUERY_INFO_IPSEC2_SIZE)) {
    throw new SecureSocketError(
      'WSAEMSGSIZE',
      `WSAQuerySocketSecurity returned ${length} bytes; SOCKET_SECURITY_QUERY_INFO needs ${QUERY_INFO_SIZE}`,
      { syscall: 'WSAQuerySocketSecurity' },
    );
  }
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const info: QueryInfo = {
    protocol: v.getInt32(OFF.INFO_Protocol, true),
    flags: v.getUint32(OFF.INFO_Flags, true),
    applicationToken: v.getBigUint64(OFF.INFO_AppToken, true),
    machineToken: v.getBigUint64(OFF.INFO_MachineToken, true),
  };
  if (length >= QUERY_INFO_IPSEC2_SIZE) {
    info.ipsec2 = {
      mmSaId: v.getBigUint64(OFF.INFO_MmSaId, true),
      qmSaId: v.getBigUint64(OFF.INFO_QmSaId, true),
      negotiationError: v.getUint32(OFF.INFO_NegotiationWinerr, true),
      saLookupContext: readGuid(buf, OFF.INFO_SaLookupContext) ?? ZERO_GUID,
    };
  }
  return info;
}

/** Encodes a query result (the inverse of {@link decodeQueryInfo}; used by test doubles). */
export function encodeQueryInfo(info: QueryInfo): Buffer {
  const buf = Buffer.alloc(info.ipsec2 ? QUERY_INFO_IPSEC2_SIZE : QUERY_INFO_SIZE);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  v.setInt32(OFF.INFO_Protocol, info.protocol, true);
  v.setUint32(OFF.INFO_Flags, info.flags >>> 0, true);
  v.setBigUint64(OFF.INFO_AppToken, info.applicationToken, true);
  v.setBigUint64(OFF.INFO_MachineToken, info.machineToken, true);
  if (info.ipsec2) {
    v.setBigUint64(OFF.INFO_MmSaId, info.ipsec2.mmSaId, true);
    v.setBigUint64(OFF.INFO_QmSaId, info.ipsec2.qmSaId, true);
    v.setUint32(OFF.INFO_NegotiationWinerr, info.ipsec2.negotiationError >>> 0, true);
    const ctx = info.ipsec2.saLookupContext === ZERO_GUID ? undefined : info.ipsec2.saLookupContext;
    writeGuid(buf, OFF.INFO_SaLookupContext, ctx);
  }
  return buf;
}
