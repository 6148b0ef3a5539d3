/**
 * The status a WFP management function returns (`ERROR_SUCCESS`, an `FWP_E_*` HRESULT or a Win32
 * error) as a documented `SecureSocketError` code, at this one boundary.
 * @module
 */
import type { SecureSocketErrorCode, SecureSocketSyscall } from '@wsasec/core';
import { SecureSocketError } from '@wsasec/core';

/** The `FWP_E_*` values (`winerror.h`) the policy calls can return, with the code each maps to. */
export const FWP_ERRORS = {
  FWP_E_PROVIDER_NOT_FOUND: [0x80320005, 'WSAEINVAL'],
  FWP_E_PROVIDER_CONTEXT_NOT_FOUND: [0x80320006, 'WSAEINVAL'],
  FWP_E_NOT_FOUND: [0x80320008, 'WSAEINVAL'],
  // The sim's realm.addPolicy answers a duplicate key the same way.
  FWP_E_ALREADY_EXISTS: [0x80320009, 'ERR_WSASEC_INVALID_ARGUMENT'],
  FWP_E_IN_USE: [0x8032000a, 'ERR_WSASEC_POLICY_STORE'],
  FWP_E_DYNAMIC_SESSION_IN_PROGRESS: [0x8032000b, 'ERR_WSASEC_POLICY_STORE'],
  FWP_E_WRONG_SESSION: [0x8032000c, 'ERR_WSASEC_POLICY_STORE'],
  FWP_E_NO_TXN_IN_PROGRESS: [0x8032000d, 'ERR_WSASEC_POLICY_STORE'],
  FWP_E_TXN_IN_PROGRESS: [0x8032000e, 'ERR_WSASEC_POLICY_STORE'],
  FWP_E_TXN_ABORTED: [0x8032000f, 'ERR_WSASEC_POLICY_STORE'],
  FWP_E_SESSION_ABORTED: [0x80320010, 'ERR_WSASEC_POLICY_STORE'],
  FWP_E_INCOMPATIBLE_TXN: [0x80320011, 'ERR_WSASEC_POLICY_STORE'],
  FWP_E_TIMEOUT: [0x80320012, 'WSAETIMEDOUT'],
  FWP_E_BUILTIN_OBJECT: [0x80320017, 'WSAEINVAL'],
  FWP_E_NULL_POINTER: [0x8032001c, 'WSAEINVAL'],
  FWP_E_INVALID_FLAGS: [0x8032001e, 'WSAEINVAL'],
  FWP_E_INVALID_INTERVAL: [0x80320021, 'WSAEINVAL'],
  FWP_E_ZERO_LENGTH_ARRAY: [0x80320022, 'WSAEINVAL'],
  FWP_E_NULL_DISPLAY_NAME: [0x80320023, 'WSAEINVAL'],
  FWP_E_TYPE_MISMATCH: [0x80320027, 'WSAEINVAL'],
  FWP_E_OUT_OF_BOUNDS: [0x80320028, 'WSAEINVAL'],
  FWP_E_INCOMPATIBLE_AUTH_METHOD: [0x80320030, 'WSAEINVAL'],
  FWP_E_INCOMPATIBLE_DH_GROUP: [0x80320031, 'WSAEINVAL'],
  FWP_E_EM_NOT_SUPPORTED: [0x80320032, 'WSAEINVAL'],
  FWP_E_INVALID_PARAMETER: [0x80320035, 'WSAEINVAL'],
  FWP_E_INVALID_AUTH_TRANSFORM: [0x80320038, 'WSAEINVAL'],
  FWP_E_INVALID_CIPHER_TRANSFORM: [0x80320039, 'WSAEINVAL'],
} as const satisfies Record<string, readonly [number, SecureSocketErrorCode]>;

/** Win32 errors the engine calls return, with the code each maps to. */
export const WFP_WIN32_ERRORS = {
  ERROR_ACCESS_DENIED: [5, 'WSAEACCES'],
  ERROR_INVALID_HANDLE: [6, 'WSAEINVAL'],
  ERROR_NOT_ENOUGH_MEMORY: [8, 'WSA_NOT_ENOUGH_MEMORY'],
  ERROR_OUTOFMEMORY: [14, 'WSA_NOT_ENOUGH_MEMORY'],
  ERROR_INVALID_PARAMETER: [87, 'WSAEINVAL'],
  // The Base Filtering Engine service is not running or not reachable over RPC.
  RPC_S_SERVER_UNAVAILABLE: [1722, 'ERR_WSASEC_POLICY_STORE'],
  EPT_S_NOT_REGISTERED: [1753, 'ERR_WSASEC_POLICY_STORE'],
} as const satisfies Record<string, readonly [number, SecureSocketErrorCode]>;

const BY_VALUE = new Map<number, [string, SecureSocketErrorCode]>(
  [...Object.entries(FWP_ERRORS), ...Object.entries(WFP_WIN32_ERRORS)].map(([name, [value, code]]) => [
    value,
    [name, code],
  ]),
);

const HINTS: Partial<Record<SecureSocketErrorCode, string>> = {
  WSAEACCES: 'adding or deleting provider contexts needs administrator rights',
  ERR_WSASEC_POLICY_STORE: 'the Base Filtering Engine refused or lost the operation; retry it',
};

/** The name of a WFP status (`FWP_E_ALREADY_EXISTS`, `ERROR_ACCESS_DENIED`), if known. */
export function wfpStatusName(status: number): string | undefined {
  return BY_VALUE.get(status >>> 0)?.[0];
}

/**
 * The `SecureSocketError` for a failed WFP call: the mapped code, `errno` = the status (unsigned),
 * `syscall` = the C function. Unknown `FWP_E_*` values become `ERR_WSASEC_POLICY_STORE`, other
 * unknown values `ERR_WSASEC_INTERNAL`.
 */
export function wfpError(status: number, syscall: SecureSocketSyscall, what?: string): SecureSocketError {
  const errno = status >>> 0;
  const known = BY_VALUE.get(errno);
  const isFwp = errno >>> 16 === 0x8032;
  const code: SecureSocketErrorCode =
    known?.[1] ?? (isFwp ? 'ERR_WSASEC_POLICY_STORE' : 'ERR_WSASEC_INTERNAL');
  const hex = `0x${errno.toString(16).padStart(8, '0')}`;
  const name = known ? `${known[0]} (${hex})` : `${isFwp ? 'FWP_E' : 'error'} ${hex}`;
  // The SA lookups read rather than change: their access error needs its own hint.
  const hint =
    code === 'WSAEACCES' && /^(IPsecSa|IkeextSa)/.test(syscall)
      ? 'reading IPsec SAs needs administrator rights'
      : HINTS[code];
  return new SecureSocketError(
    code,
    `${syscall} failed with ${name}${what ? `: ${what}` : ''}${hint ? ` (${hint})` : ''}`,
    { syscall, errno },
  );
}

/** Throws {@link wfpError} unless `status` is `ERROR_SUCCESS` (0). */
export function checkWfp(status: number, syscall: SecureSocketSyscall, what?: string): void {
  if (status === 0) return;
  throw wfpError(status, syscall, what);
}
