import type { SecureSocketErrorCode, SecureSocketSyscall } from '@wsasec/core';
import { SecureSocketError, wsaCodeName } from '@wsasec/core';
import type { NativeLibrary } from './library.js';

/** `SOCKET_ERROR` / `INVALID_SOCKET` as the bindings return them. */
export const SOCKET_ERROR = -1;

// Win32 errors of the token and security-descriptor functions, under the closest documented code.
const WIN32_CODES: Record<number, SecureSocketErrorCode> = {
  5: 'WSAEACCES', // ERROR_ACCESS_DENIED
  6: 'WSAENOTSOCK', // ERROR_INVALID_HANDLE
  8: 'WSA_NOT_ENOUGH_MEMORY',
  87: 'WSA_INVALID_PARAMETER',
  1336: 'WSAEINVAL', // ERROR_INVALID_ACL
  1338: 'WSAEINVAL', // ERROR_INVALID_SECURITY_DESCR
};

/**
 * The `SecureSocketError` for a Windows error number returned by `WSAGetLastError()` or
 * `GetLastError()`: the WSA code when it is one, else the closest documented code; `errno` always
 * carries the Windows number and `syscall` the C function.
 */
export function windowsError(errno: number, syscall: SecureSocketSyscall, what?: string): SecureSocketError {
  const code = wsaCodeName(errno) ?? WIN32_CODES[errno] ?? 'ERR_WSASEC_INTERNAL';
  const name = wsaCodeName(errno);
  const failed = name ? `${name} (${errno})` : `Windows error ${errno}`;
  return new SecureSocketError(code, `${syscall} failed with ${failed}${what ? `: ${what}` : ''}`, {
    syscall,
    errno,
  });
}

/** Throws the Winsock error of a call that returned `SOCKET_ERROR` (reads `WSAGetLastError()` at once). */
export function checkWsa(lib: NativeLibrary, rc: number, syscall: SecureSocketSyscall, what?: string): void {
  if (rc !== SOCKET_ERROR) return;
  throw windowsError(lib.WSAGetLastError(), syscall, what);
}

/** Throws the Win32 error of a BOOL function that returned FALSE (reads `GetLastError()` at once). */
export function checkBool(lib: NativeLibrary, ok: number, syscall: SecureSocketSyscall, what?: string): void {
  if (ok) return;
  throw windowsError(lib.GetLastError(), syscall, what);
}
