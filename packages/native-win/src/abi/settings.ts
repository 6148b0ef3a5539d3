import type { NormalizedSecuritySettings } from '@wsasec/core';
import { SecureSocketError } from '@wsasec/core';
import { OFF, STRUCT_LAYOUTS } from './layout.js';

const SETTINGS_SIZE = STRUCT_LAYOUTS.SOCKET_SECURITY_SETTINGS.size;
const IPSEC_SIZE = STRUCT_LAYOUTS.SOCKET_SECURITY_SETTINGS_IPSEC.size;

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Writes a GUID string (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`) as a C `GUID`: `Data1`, `Data2` and
 * `Data3` little-endian, `Data4` as written. Absent writes the zero GUID.
 * @throws SecureSocketError WSAEINVAL when the text is not a GUID.
 */
export function writeGuid(target: Uint8Array, offset: number, guid: string | undefined): void {
  if (guid === undefined) {
    target.fill(0, offset, offset + 16);
    return;
  }
  const m = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i.exec(guid);
  if (!m) throw new SecureSocketError('WSAEINVAL', `${JSON.stringify(guid)} is not a GUID`);
  const v = view(target);
  v.setUint32(offset, Number.parseInt(m[1] as string, 16), true);
  v.setUint16(offset + 4, Number.parseInt(m[2] as string, 16), true);
  v.setUint16(offset + 6, Number.parseInt(m[3] as string, 16), true);
  target.set(Buffer.from(`${m[4]}${m[5]}`, 'hex'), offset + 8);
}

/** Reads a C `GUID` as a lower-case GUID string; undefined for the zero GUID. */
export function readGuid(source: Uint8Array, offset: number): string | undefined {
  const bytes = source.subarray(offset, offset + 16);
  if (bytes.every((b) => b === 0)) return undefined;
  const v = view(source);
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  const d4 = Buffer.from(bytes.subarray(8, 16)).toString('hex');
  return `${hex(v.getUint32(offset, true), 8)}-${hex(v.getUint16(offset + 4, true), 4)}-${hex(
    v.getUint16(offset + 6, true),
    4,
  )}-${d4.slice(0, 4)}-${d4.slice(4)}`;
}

/**
 * Encodes settings for `WSASetSocketSecurity`: `null` (length 0) for the default policy, the 8-byte
 * `SOCKET_SECURITY_SETTINGS`, or `SOCKET_SECURITY_SETTINGS_IPSEC` (88 bytes, then the user name,
 * domain name and password as UTF-16LE at `offsetof(AllStrings)` = 84, lengths in **bytes** as the
 * documentation states, buffer `sizeof + string bytes` as Microsoft's samples do).
 * The caller must zero the buffer after the call: it can hold a password.
 */
export function encodeSecuritySettings(settings: NormalizedSecuritySettings): Buffer | null {
  if (settings.structure === 'none') return null;
  if (settings.structure === 'basic') {
    const buf = Buffer.alloc(SETTINGS_SIZE);
    const v = view(buf);
    v.setInt32(OFF.SETTINGS_Protocol, settings.protocol, true);
    v.setUint32(OFF.SETTINGS_Flags, settings.securityFlags >>> 0, true);
    return buf;
  }
  const creds = settings.credentials;
  const user = creds ? Buffer.from(creds.user, 'utf16le') : Buffer.alloc(0);
  const domain = creds?.domain ? Buffer.from(creds.domain, 'utf16le') : Buffer.alloc(0);
  const password = creds ? Buffer.from(creds.password, 'utf16le') : Buffer.alloc(0);
  const buf = Buffer.alloc(IPSEC_SIZE + user.length + domain.length + password.length);
  const v = view(buf);
  v.setInt32(OFF.SETTINGS_Protocol, settings.protocol, true);
  v.setUint32(OFF.SETTINGS_Flags, settings.securityFlags >>> 0, true);
  v.setUint32(OFF.IPSEC_IpsecFlags, settings.ipsecFlags >>> 0, true);
  writeGuid(buf, OFF.IPSEC_MM, settings.mainModePolicyKey);
  writeGuid(buf, OFF.IPSEC_QM, settings.quickModePolicyKey);
  v.setUint32(OFF.IPSEC_UserLen, user.length, true);
  v.setUint32(OFF.IPSEC_DomainLen, domain.length, true);
  v.setUint32(OFF.IPSEC_PasswordLen, password.length, true);
  let at = OFF.IPSEC_Strings;
  for (const part of [user, domain, password]) {
    part.copy(buf, at);
    at += part.length;
  }
  password.fill(0);
  return buf;
}

/**
 * Decodes what {@link encodeSecuritySettings} wrote (used by test doubles and to check bytes).
 * @throws SecureSocketError WSAEMSGSIZE (length shorter than the structure or its strings),
 *   WSAEINVAL (odd string length, protocol out of range).
 */
export function decodeSecuritySettings(buf: Uint8Array | null, length: number): NormalizedSecuritySettings {
  if (buf === null) return { structure: 'none', protocol: 0, securityFlags: 0, ipsecFlags: 0 };
  if (length < SETTINGS_SIZE || buf.byteLength < length) {
    throw new SecureSocketError(
      'WSAEMSGSIZE',
      `settings need at least ${SETTINGS_SIZE} bytes, got ${length}`,
    );
  }
  const v = view(buf);
  const protocol = v.getInt32(OFF.SETTINGS_Protocol, true);
  if (protocol < 0 || protocol > 2) {
    throw new SecureSocketError('WSAEINVAL', `SecurityProtocol ${protocol} is not 0, 1 or 2`);
  }
  const securityFlags = v.getUint32(OFF.SETTINGS_Flags, true);
  if (length < IPSEC_SIZE) {
    return { structure: 'basic', protocol: protocol as 0 | 1 | 2, securityFlags, ipsecFlags: 0 };
  }
  const lens = [OFF.IPSEC_UserLen, OFF.IPSEC_DomainLen, OFF.IPSEC_PasswordLen].map((o) =>
    v.getUint32(o, true),
  );
  const [userLen, domainLen, passwordLen] = lens as [number, number, number];
  if (lens.some((n) => n % 2 !== 0)) {
    throw new SecureSocketError('WSAEINVAL', 'credential string lengths must be even (UTF-16 bytes)');
  }
  if (OFF.IPSEC_Strings + userLen + domainLen + passwordLen > length) {
    throw new SecureSocketError('WSAEMSGSIZE', 'credential strings run past the settings length');
  }
  const text = (from: number, bytes: number) =>
    Buffer.from(buf.buffer, buf.byteOffset + from, bytes).toString('utf16le');
  const result: NormalizedSecuritySettings = {
    structure: 'ipsec',
    protocol: protocol as 0 | 1 | 2,
    securityFlags,
    ipsecFlags: v.getUint32(OFF.IPSEC_IpsecFlags, true),
  };
  const mm = readGuid(buf, OFF.IPSEC_MM);
  const qm = readGuid(buf, OFF.IPSEC_QM);
  if (mm) result.mainModePolicyKey = mm;
  if (qm) result.quickModePolicyKey = qm;
  if (userLen + domainLen + passwordLen > 0) {
    const user = text(OFF.IPSEC_Strings, userLen);
    const domain = text(OFF.IPSEC_Strings + userLen, domainLen);
    const password = text(OFF.IPSEC_Strings + userLen + domainLen, passwordLen);
    result.credentials = domainLen > 0 ? { user, domain, password } : { user, password };
  }
  return result;
}
