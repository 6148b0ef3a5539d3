import type { NormalizedPeerTargetName } from '@wsasec/core';
import { SecureSocketError } from '@wsasec/core';
import { decodeSockaddr, WIN_AF_INET6, writeSockaddr } from './address.js';
import { OFF, STRUCT_LAYOUTS } from './layout.js';

const PTN_SIZE = STRUCT_LAYOUTS.SOCKET_PEER_TARGET_NAME.size;

/**
 * What `PeerTargetNameStringLen` counts. The documentation says bytes; both Microsoft samples write
 * the character count (`wcslen`) with protocol DEFAULT/IPSEC, and NtApiDotNet writes characters for
 * IPSEC and bytes for IPSEC2 (spec §6.1). `'auto'` follows that evidence: characters for protocols
 * 0 and 1, bytes for 2.
 */
export type TargetNameLengthUnit = 'auto' | 'chars' | 'bytes';

/** The unit `'auto'` resolves to for a protocol (spec §6.1 decision). */
export function resolveTargetNameUnit(unit: TargetNameLengthUnit, protocol: 0 | 1 | 2): 'chars' | 'bytes' {
  if (unit !== 'auto') return unit;
  return protocol === 2 ? 'bytes' : 'chars';
}

/**
 * Encodes a `SOCKET_PEER_TARGET_NAME` for `WSASetSocketPeerTargetName`: the 144-byte header
 * (`PeerAddress` all zero when no peer is named), then the name as UTF-16LE at
 * `offsetof(AllStrings)` = 140, not NUL-terminated. The buffer is `sizeof + name bytes` long, like
 * Microsoft's samples, which leaves a zero UTF-16 unit after the name.
 */
export function encodePeerTargetName(
  target: NormalizedPeerTargetName,
  unit: TargetNameLengthUnit = 'auto',
): Buffer {
  const name = Buffer.from(target.name, 'utf16le');
  const buf = Buffer.alloc(PTN_SIZE + name.length);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  v.setInt32(OFF.PTN_Protocol, target.protocol, true);
  if (target.peerAddress) writeSockaddr(buf, OFF.PTN_PeerAddress, target.peerAddress);
  const resolved = resolveTargetNameUnit(unit, target.protocol);
  v.setUint32(OFF.PTN_StringLen, resolved === 'bytes' ? name.length : name.length / 2, true);
  name.copy(buf, OFF.PTN_Strings);
  return buf;
}

/**
 * Decodes what {@link encodePeerTargetName} wrote (used by test doubles and to check bytes).
 * @throws SecureSocketError WSAEMSGSIZE (shorter than the header, or the name runs past `length`).
 */
export function decodePeerTargetName(
  buf: Uint8Array,
  length: number,
  unit: TargetNameLengthUnit = 'auto',
  af6 = WIN_AF_INET6,
): NormalizedPeerTargetName {
  if (length < OFF.PTN_Strings || buf.byteLength < length) {
    throw new SecureSocketError('WSAEMSGSIZE', `a peer target name needs at least ${OFF.PTN_Strings} bytes`);
  }
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const protocol = v.getInt32(OFF.PTN_Protocol, true);
  if (protocol < 0 || protocol > 2) {
    throw new SecureSocketError('WSAEINVAL', `SecurityProtocol ${protocol} is not 0, 1 or 2`);
  }
  const count = v.getUint32(OFF.PTN_StringLen, true);
  const bytes = resolveTargetNameUnit(unit, protocol as 0 | 1 | 2) === 'bytes' ? count : count * 2;
  if (bytes % 2 !== 0) throw new SecureSocketError('WSAEINVAL', 'an odd byte length for a UTF-16 name');
  if (OFF.PTN_Strings + bytes > length) {
    throw new SecureSocketError('WSAEMSGSIZE', 'the target name runs past PeerTargetNameLen');
  }
  const result: NormalizedPeerTargetName = {
    protocol: protocol as 0 | 1 | 2,
    name: Buffer.from(buf.buffer, buf.byteOffset + OFF.PTN_Strings, bytes).toString('utf16le'),
  };
  const peer = decodeSockaddr(buf, OFF.PTN_PeerAddress, af6);
  if (peer) result.peerAddress = peer;
  return result;
}
