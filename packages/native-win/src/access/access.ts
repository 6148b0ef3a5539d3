/**
 * Identity, impersonation through a token, and `AccessCheck` against an SDDL security descriptor.
 * @module
 */
import type { AccessCheckResult, Principal } from '@wsasec/core';
import {
  DEFAULT_GENERIC_MAPPING,
  GENERIC_ALL,
  GENERIC_EXECUTE,
  GENERIC_READ,
  GENERIC_WRITE,
  runImpersonated,
  SecureSocketError,
  TOKEN_IMPERSONATE,
  TOKEN_QUERY,
} from '@wsasec/core';
import { checkBool, windowsError } from '../library/errors.js';
import {
  CURRENT_PROCESS,
  CURRENT_THREAD,
  ERROR_NO_IMPERSONATION_TOKEN,
  ERROR_NO_TOKEN,
  type NativeLibrary,
  SDDL_REVISION_1,
  SecurityImpersonation,
} from '../library/library.js';
import { decodeToken } from './tokens.js';

/**
 * Who the calling thread acts as: its impersonation token if it has one (`OpenThreadToken`), else
 * the process token (`OpenProcessToken`).
 */
export function currentIdentity(lib: NativeLibrary): Principal {
  const out: [number] = [0];
  if (!lib.OpenThreadToken(CURRENT_THREAD, TOKEN_QUERY, 1, out)) {
    const errno = lib.GetLastError();
    if (errno !== ERROR_NO_TOKEN) throw windowsError(errno, 'OpenThreadToken');
    checkBool(lib, lib.OpenProcessToken(CURRENT_PROCESS, TOKEN_QUERY, out), 'OpenProcessToken');
  }
  try {
    return decodeToken(lib, out[0]).user;
  } finally {
    lib.CloseHandle(out[0]);
  }
}

/**
 * The calling thread's impersonation token, opened so it can be put back (`OpenThreadToken` with
 * TOKEN_IMPERSONATE | TOKEN_QUERY, as self); 0 when the thread is not impersonating.
 */
function savedThreadToken(lib: NativeLibrary): number {
  const out: [number] = [0];
  if (lib.OpenThreadToken(CURRENT_THREAD, TOKEN_IMPERSONATE | TOKEN_QUERY, 1, out)) return out[0];
  const errno = lib.GetLastError();
  if (errno === ERROR_NO_TOKEN) return 0;
  throw windowsError(errno, 'OpenThreadToken', 'cannot save the current impersonation before nesting');
}

/**
 * Runs `fn` synchronously with the calling thread impersonating `token` (`ImpersonateLoggedOnUser`
 * … `RevertToSelf`), through core's `runImpersonated` (always reverts; a promise is an error). An
 * impersonation already active (a nested scope) is saved first and restored afterwards, since
 * `RevertToSelf` alone would drop it.
 */
export function impersonateWithToken<T>(lib: NativeLibrary, token: number, fn: () => T): T {
  return runImpersonated(() => {
    const outer = savedThreadToken(lib);
    if (!lib.ImpersonateLoggedOnUser(token)) {
      const errno = lib.GetLastError();
      if (outer) lib.CloseHandle(outer);
      throw windowsError(errno, 'ImpersonateLoggedOnUser');
    }
    return () => {
      const restored = outer ? lib.ImpersonateLoggedOnUser(outer) : lib.RevertToSelf();
      const errno = restored ? 0 : lib.GetLastError();
      if (outer) lib.CloseHandle(outer);
      if (restored) return;
      // Never leave the thread acting as the peer: fall back to the process identity.
      lib.RevertToSelf();
      throw new SecureSocketError(
        'WSASYSCALLFAILURE',
        `${outer ? 'restoring the outer impersonation' : 'RevertToSelf'} failed (${errno}): stop the process if this thread may still act as the peer`,
        { syscall: 'RevertToSelf', errno },
      );
    };
  }, fn);
}

/** `MapGenericMask` with the file-object mapping every backend uses. */
export function mapGenericMask(mask: number): number {
  let mapped = mask & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL);
  if (mask & GENERIC_READ) mapped |= DEFAULT_GENERIC_MAPPING.genericRead;
  if (mask & GENERIC_WRITE) mapped |= DEFAULT_GENERIC_MAPPING.genericWrite;
  if (mask & GENERIC_EXECUTE) mapped |= DEFAULT_GENERIC_MAPPING.genericExecute;
  if (mask & GENERIC_ALL) mapped |= DEFAULT_GENERIC_MAPPING.genericAll;
  return mapped >>> 0;
}

/**
 * The top-level components of an SDDL string (`O:`, `G:`, `D:`, `S:`), split outside parentheses.
 * `AccessCheck` needs an owner and a group, which a DACL-only string such as `D:(A;;GA;;;AU)` lacks:
 * missing ones are filled with `SY` (LocalSystem), which grants no implicit owner rights to a peer.
 */
export function completeSddl(sddl: string): string {
  const parts = new Map<string, string>();
  let current: string | undefined;
  let depth = 0;
  let start = 0;
  for (let i = 0; i < sddl.length; i++) {
    const c = sddl[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && sddl[i + 1] === ':' && (c === 'O' || c === 'G' || c === 'D' || c === 'S')) {
      if (current) parts.set(current, sddl.slice(start, i));
      current = c;
      start = i;
      i++;
    }
  }
  if (!current) return sddl;
  parts.set(current, sddl.slice(start));
  const owner = parts.get('O') ?? 'O:SY';
  const group = parts.get('G') ?? 'G:SY';
  return `${owner}${group}${parts.get('D') ?? ''}${parts.get('S') ?? ''}`;
}

interface AccessCheckRun {
  ok: boolean;
  errno: number;
  granted: number;
  status: number;
}

function runAccessCheck(lib: NativeLibrary, sd: unknown, token: number, desired: number): AccessCheckRun {
  const mapping = Buffer.alloc(16);
  mapping.writeUInt32LE(DEFAULT_GENERIC_MAPPING.genericRead, 0);
  mapping.writeUInt32LE(DEFAULT_GENERIC_MAPPING.genericWrite, 4);
  mapping.writeUInt32LE(DEFAULT_GENERIC_MAPPING.genericExecute, 8);
  mapping.writeUInt32LE(DEFAULT_GENERIC_MAPPING.genericAll, 12);
  const privileges = Buffer.alloc(256);
  const granted: [number] = [0];
  const status: [number] = [0];
  const ok =
    lib.AccessCheck(sd, token, mapGenericMask(desired), mapping, privileges, [256], granted, status) !== 0;
  return { ok, errno: ok ? 0 : lib.GetLastError(), granted: granted[0], status: status[0] };
}

function settle(run: AccessCheckRun): AccessCheckResult {
  if (!run.ok) throw windowsError(run.errno, 'AccessCheck');
  return { granted: run.status !== 0, grantedAccess: run.status !== 0 ? run.granted >>> 0 : 0 };
}

/**
 * `AccessCheck` of a token against an SDDL security descriptor: the SDDL is converted with
 * `ConvertStringSecurityDescriptorToSecurityDescriptorW`, the token duplicated as an impersonation
 * token (`DuplicateToken`) when it is a primary token (AccessCheck needs an impersonation
 * token), generic rights mapped with the file mapping.
 * @throws SecureSocketError WSAEINVAL (malformed SDDL), or the Windows error of a failing call.
 */
export function accessCheck(
  lib: NativeLibrary,
  token: number,
  sddl: string,
  desired: number,
): AccessCheckResult {
  const sd: [unknown] = [null];
  if (
    !lib.ConvertStringSecurityDescriptorToSecurityDescriptorW(completeSddl(sddl), SDDL_REVISION_1, sd, null)
  ) {
    const errno = lib.GetLastError();
    throw new SecureSocketError(
      'WSAEINVAL',
      `accessCheck: the SDDL string is malformed (Windows error ${errno}); expected e.g. "D:(A;;GA;;;AU)"`,
      { syscall: 'ConvertStringSecurityDescriptorToSecurityDescriptorW' },
    );
  }
  try {
    // AccessCheck needs an impersonation token: try the peer token as it is, and duplicate it
    // (SecurityImpersonation) only when Windows says it is a primary token.
    const direct = runAccessCheck(lib, sd[0], token, desired);
    if (direct.ok || direct.errno !== ERROR_NO_IMPERSONATION_TOKEN) return settle(direct);
    const dup: [number] = [0];
    checkBool(
      lib,
      lib.DuplicateToken(token, SecurityImpersonation, dup),
      'DuplicateToken',
      'accessCheck on a primary token needs it opened with TOKEN_DUPLICATE (querySecurity({ tokenAccess }))',
    );
    try {
      return settle(runAccessCheck(lib, sd[0], dup[0], desired));
    } finally {
      lib.CloseHandle(dup[0]);
    }
  } finally {
    lib.LocalFree(sd[0]);
  }
}
