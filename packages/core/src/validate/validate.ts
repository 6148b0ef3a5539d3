import { isIP } from 'node:net';
import {
  SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID,
  SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID,
  SOCKET_SETTINGS_ALLOW_INSECURE,
  SOCKET_SETTINGS_GUARANTEE_ENCRYPTION,
  SOCKET_SETTINGS_IPSEC_ALLOW_FIRST_INBOUND_PKT_UNENCRYPTED,
  SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION,
  SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT,
  SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION,
} from '../contract/constants.js';
import type { SecureSocketErrorCode, SecureSocketSyscall } from '../contract/error-codes.js';
import { SecureSocketError } from '../errors/errors.js';
import type {
  NormalizedAddress,
  NormalizedConnectTarget,
  NormalizedPeerTargetName,
  NormalizedQuery,
  NormalizedSecuritySettings,
} from './normalized.js';

/** Longest user name, domain name and password accepted in explicit credentials (UTF-16 units). */
export const CREDENTIAL_LIMITS = { user: 256, domain: 255, password: 256 } as const;
/** Longest target name accepted (UTF-16 units). */
export const MAX_TARGET_NAME_LENGTH = 1024;

const ZERO_GUID = '00000000-0000-0000-0000-000000000000';
const GUID_BODY = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const GUID_RE = new RegExp(`^(?:(${GUID_BODY})|\\{(${GUID_BODY})\\})$`);

function fail(code: SecureSocketErrorCode, syscall: SecureSocketSyscall, message: string): never {
  throw new SecureSocketError(code, message, { syscall });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkKeys(
  obj: Record<string, unknown>,
  allowed: readonly string[],
  what: string,
  syscall: SecureSocketSyscall,
) {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      fail(
        'WSAEINVAL',
        syscall,
        `${what} has an unknown field "${key}"; accepted fields: ${allowed.join(', ')}`,
      );
    }
  }
}

function optionalBoolean(value: unknown, field: string, syscall: SecureSocketSyscall): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean')
    fail('WSAEINVAL', syscall, `${field} must be true or false, got ${describe(value)}`);
  return value;
}

/** Normalizes a `SOCKET_SECURITY_PROTOCOL` given by name or C value. */
export function normalizeProtocol(
  value: unknown,
  syscall: SecureSocketSyscall,
  field = 'protocol',
): 0 | 1 | 2 {
  switch (value) {
    case 'default':
    case 0:
      return 0;
    case 'ipsec':
    case 1:
      return 1;
    case 'ipsec2':
    case 2:
      return 2;
    default:
      return fail(
        'WSAEINVAL',
        syscall,
        `${field} must be 'default', 'ipsec' or 'ipsec2' (or 0, 1, 2), got ${describe(value)}`,
      );
  }
}

/** The protocol name of a C value. */
export function protocolName(value: 0 | 1 | 2): 'default' | 'ipsec' | 'ipsec2' {
  return value === 0 ? 'default' : value === 1 ? 'ipsec' : 'ipsec2';
}

/**
 * Normalizes a GUID string (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, braces optional) to lower case.
 * Returns undefined for the zero GUID (which the C API treats as "not given").
 * @throws SecureSocketError WSAEINVAL for anything else.
 */
export function normalizeGuid(
  value: unknown,
  field: string,
  syscall: SecureSocketSyscall,
): string | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? GUID_RE.exec(value) : null;
  const body = match?.[1] ?? match?.[2];
  if (!body) {
    fail(
      'WSAEINVAL',
      syscall,
      `${field} must be a GUID string like 8c2d4144-f8e0-42c0-94ce-7ccfc63b2f9b, got ${describe(value)}`,
    );
  }
  const guid = body.toLowerCase();
  return guid === ZERO_GUID ? undefined : guid;
}

function boundedString(
  value: unknown,
  field: string,
  max: number,
  syscall: SecureSocketSyscall,
  allowEmpty: boolean,
): string {
  if (typeof value !== 'string')
    fail('WSAEINVAL', syscall, `${field} must be a string, got ${describe(value)}`);
  if (!allowEmpty && value.length === 0) fail('WSAEINVAL', syscall, `${field} must not be empty`);
  if (value.includes('\0')) fail('WSAEINVAL', syscall, `${field} must not contain NUL characters`);
  if (value.length > max)
    fail(
      'WSAEMSGSIZE',
      syscall,
      `${field} is ${value.length} UTF-16 units long; at most ${max} are accepted`,
    );
  if (!value.isWellFormed())
    fail('WSAEINVAL', syscall, `${field} must be well-formed Unicode (no lone surrogates)`);
  return value;
}

function normalizeCredentials(
  value: unknown,
  syscall: SecureSocketSyscall,
): NormalizedSecuritySettings['credentials'] {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    fail(
      'WSAEINVAL',
      syscall,
      // Only the type: a string here is often "user:password", which must never be echoed.
      `ipsec.credentials must be an object { user, domain?, password }, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}`,
    );
  }
  checkKeys(value, ['user', 'domain', 'password'], 'ipsec.credentials', syscall);
  let user = boundedString(
    value.user,
    'ipsec.credentials.user',
    CREDENTIAL_LIMITS.user + CREDENTIAL_LIMITS.domain + 1,
    syscall,
    false,
  );
  let domain =
    value.domain === undefined
      ? undefined
      : boundedString(value.domain, 'ipsec.credentials.domain', CREDENTIAL_LIMITS.domain, syscall, false);
  // The password is checked without echoing it: describe() never prints it.
  if (typeof value.password !== 'string') {
    fail('WSAEINVAL', syscall, 'ipsec.credentials.password must be a string');
  }
  const password = boundedString(
    value.password,
    'ipsec.credentials.password',
    CREDENTIAL_LIMITS.password,
    syscall,
    true,
  );
  const slash = user.indexOf('\\');
  if (slash >= 0) {
    if (domain !== undefined) {
      fail(
        'WSAEINVAL',
        syscall,
        'ipsec.credentials: give the domain either as DOMAIN\\user or as domain, not both',
      );
    }
    domain = boundedString(
      user.slice(0, slash),
      'ipsec.credentials.user (domain part)',
      CREDENTIAL_LIMITS.domain,
      syscall,
      false,
    );
    user = user.slice(slash + 1);
  }
  boundedString(user, 'ipsec.credentials.user', CREDENTIAL_LIMITS.user, syscall, false);
  return domain === undefined ? { user, password } : { user, domain, password };
}

/**
 * Normalizes `SecuritySettings` (the argument of `setSecurity`). `undefined` and `null` mean the
 * NULL settings pointer: the default policy.
 * @throws SecureSocketError WSAEINVAL (wrong type, unknown field, bad GUID, `ipsec` with protocol
 *   'default'), WSAEMSGSIZE (a credential string too long).
 */
export function normalizeSecuritySettings(
  value: unknown,
  syscall: SecureSocketSyscall = 'WSASetSocketSecurity',
): NormalizedSecuritySettings {
  if (value === undefined || value === null) {
    return { structure: 'none', protocol: 0, securityFlags: 0, ipsecFlags: 0 };
  }
  if (!isPlainObject(value)) {
    fail(
      'WSAEINVAL',
      syscall,
      `security settings must be an object { protocol?, guaranteeEncryption?, allowInsecure?, ipsec? } or undefined, got ${describe(value)}`,
    );
  }
  checkKeys(
    value,
    ['protocol', 'guaranteeEncryption', 'allowInsecure', 'ipsec'],
    'security settings',
    syscall,
  );
  const hasIpsec = value.ipsec !== undefined;
  const protocol =
    value.protocol === undefined ? (hasIpsec ? 1 : 0) : normalizeProtocol(value.protocol, syscall);
  let securityFlags = 0;
  if (optionalBoolean(value.guaranteeEncryption, 'guaranteeEncryption', syscall))
    securityFlags |= SOCKET_SETTINGS_GUARANTEE_ENCRYPTION;
  if (optionalBoolean(value.allowInsecure, 'allowInsecure', syscall))
    securityFlags |= SOCKET_SETTINGS_ALLOW_INSECURE;
  if (!hasIpsec) return { structure: 'basic', protocol, securityFlags, ipsecFlags: 0 };

  if (protocol === 0) {
    fail(
      'WSAEINVAL',
      syscall,
      "ipsec settings need protocol 'ipsec' or 'ipsec2' (SOCKET_SECURITY_SETTINGS_IPSEC), not 'default'",
    );
  }
  const ipsec = value.ipsec;
  if (!isPlainObject(ipsec)) fail('WSAEINVAL', syscall, `ipsec must be an object, got ${describe(ipsec)}`);
  checkKeys(
    ipsec,
    [
      'skipFilterInstantiation',
      'optionalPeerNameVerification',
      'allowFirstInboundPacketUnencrypted',
      'peerNameIsRawFormat',
      'mainModePolicyKey',
      'quickModePolicyKey',
      'credentials',
    ],
    'ipsec settings',
    syscall,
  );
  let ipsecFlags = 0;
  if (optionalBoolean(ipsec.skipFilterInstantiation, 'ipsec.skipFilterInstantiation', syscall))
    ipsecFlags |= SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION;
  if (optionalBoolean(ipsec.optionalPeerNameVerification, 'ipsec.optionalPeerNameVerification', syscall))
    ipsecFlags |= SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION;
  if (
    optionalBoolean(
      ipsec.allowFirstInboundPacketUnencrypted,
      'ipsec.allowFirstInboundPacketUnencrypted',
      syscall,
    )
  )
    ipsecFlags |= SOCKET_SETTINGS_IPSEC_ALLOW_FIRST_INBOUND_PKT_UNENCRYPTED;
  if (optionalBoolean(ipsec.peerNameIsRawFormat, 'ipsec.peerNameIsRawFormat', syscall))
    ipsecFlags |= SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT;
  const result: NormalizedSecuritySettings = { structure: 'ipsec', protocol, securityFlags, ipsecFlags };
  const mm = normalizeGuid(ipsec.mainModePolicyKey, 'ipsec.mainModePolicyKey', syscall);
  const qm = normalizeGuid(ipsec.quickModePolicyKey, 'ipsec.quickModePolicyKey', syscall);
  const credentials = normalizeCredentials(ipsec.credentials, syscall);
  if (mm) result.mainModePolicyKey = mm;
  if (qm) result.quickModePolicyKey = qm;
  if (credentials) result.credentials = credentials;
  return result;
}

/**
 * Normalizes an IP endpoint. `address` must be an IP literal; `port` 0–65535.
 * @throws SecureSocketError WSAEFAULT (missing), WSAEAFNOSUPPORT (unknown family or family
 *   mismatch), WSAEINVAL (not an IP literal, bad port, unknown field).
 */
export function normalizeAddress(
  value: unknown,
  field: string,
  syscall: SecureSocketSyscall,
): NormalizedAddress {
  if (value === undefined || value === null)
    fail('WSAEFAULT', syscall, `${field} is required: { address: <IP literal>, port? }`);
  if (!isPlainObject(value))
    fail(
      'WSAEINVAL',
      syscall,
      `${field} must be an object { address, port?, family? }, got ${describe(value)}`,
    );
  checkKeys(value, ['address', 'port', 'family'], field, syscall);
  const { address, port = 0, family } = value;
  if (family !== undefined && family !== 'ipv4' && family !== 'ipv6') {
    fail('WSAEAFNOSUPPORT', syscall, `${field}.family must be 'ipv4' or 'ipv6', got ${describe(family)}`);
  }
  if (typeof address !== 'string')
    fail('WSAEINVAL', syscall, `${field}.address must be an IP literal string, got ${describe(address)}`);
  const unbracketed = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const kind = isIP(unbracketed);
  if (kind === 0)
    fail(
      'WSAEINVAL',
      syscall,
      `${field}.address must be an IPv4 or IPv6 literal (not a host name), got ${describe(address)}`,
    );
  const actual = kind === 4 ? 'ipv4' : 'ipv6';
  if (family !== undefined && family !== actual) {
    fail(
      'WSAEAFNOSUPPORT',
      syscall,
      `${field}.family is '${family}' but ${describe(address)} is an ${actual} address`,
    );
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    fail('WSAEINVAL', syscall, `${field}.port must be an integer from 0 to 65535, got ${describe(port)}`);
  }
  return { address: canonicalIp(unbracketed, actual), port, family: actual };
}

function canonicalIp(address: string, family: 'ipv4' | 'ipv6'): string {
  if (family === 'ipv4') return address;
  // URL's parser prints the canonical compressed form of an IPv6 literal.
  try {
    const host = new URL(`http://[${address.split('%')[0]}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
}

/**
 * Normalizes a target name (`setPeerTargetName`). A string is the name alone.
 * @throws SecureSocketError WSAEFAULT (missing), WSAEINVAL (empty, NUL, bad protocol, zero datagram
 *   peer), WSAEMSGSIZE (longer than {@link MAX_TARGET_NAME_LENGTH}).
 */
export function normalizePeerTargetName(
  value: unknown,
  defaultProtocol: 0 | 1 | 2,
  syscall: SecureSocketSyscall = 'WSASetSocketPeerTargetName',
): NormalizedPeerTargetName {
  if (value === undefined || value === null) {
    fail(
      'WSAEFAULT',
      syscall,
      'a peer target name is required: a string like "host/server.contoso.com" or { name, peerAddress?, protocol? }',
    );
  }
  const obj = typeof value === 'string' ? { name: value } : value;
  if (!isPlainObject(obj)) {
    fail(
      'WSAEINVAL',
      syscall,
      `peer target name must be a string or { name, peerAddress?, protocol? }, got ${describe(value)}`,
    );
  }
  checkKeys(obj, ['name', 'peerAddress', 'protocol'], 'peer target name', syscall);
  const name = boundedString(obj.name, 'peer target name', MAX_TARGET_NAME_LENGTH, syscall, false);
  if (name.trim() !== name)
    fail('WSAEINVAL', syscall, 'peer target name must not begin or end with white space');
  const protocol =
    obj.protocol === undefined
      ? defaultProtocol
      : normalizeProtocol(obj.protocol, syscall, 'peer target name protocol');
  const result: NormalizedPeerTargetName = { name, protocol };
  if (obj.peerAddress !== undefined)
    result.peerAddress = normalizeAddress(obj.peerAddress, 'peerAddress', syscall);
  return result;
}

/**
 * Normalizes an access mask (`tokenAccess`, `desiredAccess`): an integer from 0 to 0xFFFFFFFF.
 * @throws SecureSocketError WSAEINVAL.
 */
export function normalizeAccessMask(
  value: unknown,
  field: string,
  syscall: SecureSocketSyscall,
  allowZero = true,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    fail(
      'WSAEINVAL',
      syscall,
      `${field} must be an integer access mask from 0 to 0xFFFFFFFF, got ${describe(value)}`,
    );
  }
  if (!allowZero && value === 0)
    fail('WSAEINVAL', syscall, `${field} must ask for at least one right (non-zero)`);
  return value >>> 0;
}

/**
 * Normalizes `QueryOptions`.
 * @throws SecureSocketError WSAEINVAL (wrong type, unknown field, unknown field-mask bits).
 */
export function normalizeQuery(
  value: unknown,
  socketProtocol: 0 | 1 | 2,
  syscall: SecureSocketSyscall = 'WSAQuerySocketSecurity',
): NormalizedQuery {
  if (value === undefined || value === null) return { protocol: socketProtocol, tokenAccess: 0 };
  if (!isPlainObject(value))
    fail(
      'WSAEINVAL',
      syscall,
      `query options must be an object { peerAddress?, tokenAccess?, ipsec2? }, got ${describe(value)}`,
    );
  checkKeys(value, ['peerAddress', 'tokenAccess', 'ipsec2'], 'query options', syscall);
  const result: NormalizedQuery = {
    protocol: socketProtocol,
    tokenAccess:
      value.tokenAccess === undefined ? 0 : normalizeAccessMask(value.tokenAccess, 'tokenAccess', syscall),
  };
  if (value.peerAddress !== undefined)
    result.peerAddress = normalizeAddress(value.peerAddress, 'peerAddress', syscall);
  if (value.ipsec2 !== undefined) {
    const v2 = value.ipsec2;
    if (!isPlainObject(v2))
      fail(
        'WSAEINVAL',
        syscall,
        `ipsec2 must be an object { fieldMask?, abortOnFieldChange? }, got ${describe(v2)}`,
      );
    checkKeys(v2, ['fieldMask', 'abortOnFieldChange'], 'ipsec2 query options', syscall);
    const allBits = SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID | SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID;
    const fieldMask = v2.fieldMask ?? 0;
    if (
      typeof fieldMask !== 'number' ||
      !Number.isInteger(fieldMask) ||
      fieldMask < 0 ||
      (fieldMask & ~allBits) !== 0
    ) {
      fail(
        'WSAEINVAL',
        syscall,
        `ipsec2.fieldMask must combine SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID (1) and _QM_SA_ID (2), got ${describe(fieldMask)}`,
      );
    }
    const abortOnFieldChange = optionalBoolean(v2.abortOnFieldChange, 'ipsec2.abortOnFieldChange', syscall);
    if (abortOnFieldChange && fieldMask === 0) {
      fail('WSAEINVAL', syscall, 'ipsec2.abortOnFieldChange needs a fieldMask naming the fields to watch');
    }
    result.protocol = 2;
    result.ipsec2 = { fieldMask, abortOnFieldChange };
  }
  return result;
}

/**
 * Normalizes a connect target `{ host, port, timeout? }`. With `deferAddress`, a host that is not a
 * valid name and port 0 are not thrown but returned as `addressError`: the net forms of connect
 * report them as net reports a failed lookup or connect, through `'error'` on a later tick.
 * @throws SecureSocketError WSAEINVAL (bad host), WSAEADDRNOTAVAIL (port 0), ERR_WSASEC_INVALID_ARGUMENT.
 */
export function normalizeConnectTarget(
  value: unknown,
  syscall: SecureSocketSyscall = 'WSAConnect',
  opts: { deferAddress?: boolean } = {},
): NormalizedConnectTarget & { addressError?: SecureSocketError } {
  if (!isPlainObject(value))
    fail('WSAEFAULT', syscall, `connect needs { host, port }, got ${describe(value)}`);
  const { host, port, timeout } = value;
  let addressError: SecureSocketError | undefined;
  const addressFail = (code: SecureSocketErrorCode, message: string) => {
    if (!opts.deferAddress) fail(code, syscall, message);
    addressError ??= new SecureSocketError(code, message, { syscall });
  };
  if (
    typeof host !== 'string' ||
    host.length === 0 ||
    host.length > 255 ||
    host.includes('\0') ||
    /\s/.test(host)
  ) {
    if (typeof host !== 'string') {
      fail(
        'WSAEINVAL',
        syscall,
        `host must be a host name or IP literal (1–255 characters, no spaces), got ${describe(host)}`,
      );
    }
    addressFail(
      'WSAEINVAL',
      `host must be a host name or IP literal (1–255 characters, no spaces), got ${describe(host)}`,
    );
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    fail('WSAEINVAL', syscall, `port must be an integer from 1 to 65535, got ${describe(port)}`);
  }
  if (port === 0)
    addressFail('WSAEADDRNOTAVAIL', 'port 0 cannot be connected to; give a port from 1 to 65535');
  const result: NormalizedConnectTarget & { addressError?: SecureSocketError } = {
    host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host,
    port,
  };
  if (addressError) result.addressError = addressError;
  if (timeout !== undefined) {
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      fail(
        'ERR_WSASEC_INVALID_ARGUMENT',
        syscall,
        `timeout must be a positive number of milliseconds, got ${describe(timeout)}`,
      );
    }
    result.timeout = timeout;
  }
  const { localAddress, localPort } = value;
  if (localAddress !== undefined) {
    if (typeof localAddress !== 'string' || isIP(localAddress) === 0)
      fail(
        'ERR_INVALID_IP_ADDRESS',
        syscall,
        `localAddress must be an IP literal ('127.0.0.1', '::1'), got ${describe(localAddress)}`,
      );
    result.localAddress = localAddress;
  }
  if (localPort !== undefined) {
    if (typeof localPort !== 'number' || !Number.isInteger(localPort) || localPort < 0 || localPort > 65535)
      fail(
        'ERR_SOCKET_BAD_PORT',
        syscall,
        `localPort must be an integer from 0 to 65535 (0: any free port), got ${describe(localPort)}`,
      );
    if (localPort !== 0) result.localPort = localPort;
  }
  return result;
}

/** Checks an optional AbortSignal. */
export function checkSignal(value: unknown, syscall: SecureSocketSyscall): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal))
    fail('ERR_WSASEC_INVALID_ARGUMENT', syscall, `signal must be an AbortSignal, got ${describe(value)}`);
  return value;
}

/** Checks a socket family option. */
export function normalizeFamily(
  value: unknown,
  syscall: SecureSocketSyscall,
  fallback: 'ipv4' | 'ipv6' = 'ipv4',
): 'ipv4' | 'ipv6' {
  if (value === undefined) return fallback;
  if (value !== 'ipv4' && value !== 'ipv6')
    fail('WSAEAFNOSUPPORT', syscall, `family must be 'ipv4' or 'ipv6', got ${describe(value)}`);
  return value;
}

/** Checks a socket type option. */
export function normalizeSocketType(value: unknown, syscall: SecureSocketSyscall): 'stream' | 'dgram' {
  if (value === undefined) return 'stream';
  if (value !== 'stream' && value !== 'dgram')
    fail('WSAEINVAL', syscall, `type must be 'stream' or 'dgram', got ${describe(value)}`);
  return value;
}

/**
 * `stream.Duplex`'s high-water marks of `new net.Socket(options)`: `highWaterMark` (when not
 * `null`/`undefined`) sets both sides, else `readableHighWaterMark` / `writableHighWaterMark` each
 * its own; each must be an integer ≥ 0, refused with `ERR_INVALID_ARG_VALUE` worded as Node words
 * it (the readable side's first, as the Duplex constructor checks it first). Absent: undefined,
 * and the backend uses Node's default.
 */
export function normalizeHighWaterMarks(
  options: { highWaterMark?: unknown; readableHighWaterMark?: unknown; writableHighWaterMark?: unknown },
  syscall: SecureSocketSyscall,
): { readableHighWaterMark?: number; writableHighWaterMark?: number } {
  const side = (key: 'readableHighWaterMark' | 'writableHighWaterMark'): number | undefined => {
    const value = options.highWaterMark ?? options[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      fail(
        'ERR_INVALID_ARG_VALUE',
        syscall,
        `The property 'options.${key}' is invalid. Received ${describe(value)} (an integer of bytes ≥ 0 is accepted)`,
      );
    return value;
  };
  const readableHighWaterMark = side('readableHighWaterMark');
  const writableHighWaterMark = side('writableHighWaterMark');
  return {
    ...(readableHighWaterMark === undefined ? {} : { readableHighWaterMark }),
    ...(writableHighWaterMark === undefined ? {} : { writableHighWaterMark }),
  };
}

export { checkKeys, describe as describeValue, isPlainObject };
