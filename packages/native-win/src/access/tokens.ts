/**
 * Access tokens: decoding (`GetTokenInformation`, `ConvertSidToStringSidW`, `LookupAccountSidW`),
 * ownership (every handle closed exactly once, on `close()`/dispose, with a FinalizationRegistry as
 * the safety net) and an open-handle counter for tests.
 * @module
 */
import { debuglog } from 'node:util';
import type { PeerToken, Principal } from '@wsasec/core';
import { createPeerToken, SecureSocketError } from '@wsasec/core';
import { checkBool, windowsError } from '../library/errors.js';
import {
  ERROR_INSUFFICIENT_BUFFER,
  ERROR_NONE_MAPPED,
  type NativeLibrary,
  SE_GROUP_ENABLED,
  TokenGroups,
  TokenUser,
} from '../library/library.js';

const debug = debuglog('wsasec:native');

/** Upper bound for a token information buffer (a token with thousands of groups still fits). */
const MAX_TOKEN_INFO = 1 << 20;

/** Counts the token handles the backend holds, and closes leaked ones when their owner is collected. */
export class TokenHandleTracker {
  #open = 0;
  #registry: FinalizationRegistry<{ handle: number; lib: NativeLibrary; closed: boolean }>;

  constructor() {
    this.#registry = new FinalizationRegistry((held) => {
      if (held.closed) return;
      held.closed = true;
      debug('closing a leaked peer token handle %d (its SecurityInfo was never closed)', held.handle);
      held.lib.CloseHandle(held.handle);
      this.#open--;
    });
  }

  /** Token handles currently open. */
  get open(): number {
    return this.#open;
  }

  /**
   * Takes ownership of a handle. `release()` closes it once; `watch(owner)` closes it when `owner`
   * is garbage-collected without `release()` having run.
   */
  adopt(lib: NativeLibrary, handle: number): { release(): void; watch(owner: object): void } {
    this.#open++;
    const held = { handle, lib, closed: false };
    const unregister = {};
    return {
      release: () => {
        if (held.closed) return;
        held.closed = true;
        this.#registry.unregister(unregister);
        this.#open--;
        if (!lib.CloseHandle(handle)) debug('CloseHandle(%d) failed with %d', handle, lib.GetLastError());
      },
      watch: (owner) => {
        if (!held.closed) this.#registry.register(owner, held, unregister);
      },
    };
  }
}

/** Reads one `TOKEN_INFORMATION_CLASS` into a buffer sized by a first probe call. */
function tokenInformation(lib: NativeLibrary, token: number, infoClass: number): Buffer {
  const len: [number] = [0];
  if (lib.GetTokenInformation(token, infoClass, null, 0, len)) {
    throw new SecureSocketError('ERR_WSASEC_INTERNAL', 'GetTokenInformation returned nothing to read', {
      syscall: 'GetTokenInformation',
    });
  }
  const errno = lib.GetLastError();
  if (errno !== ERROR_INSUFFICIENT_BUFFER || len[0] <= 0 || len[0] > MAX_TOKEN_INFO) {
    throw windowsError(errno, 'GetTokenInformation');
  }
  const buf = Buffer.alloc(len[0]);
  checkBool(lib, lib.GetTokenInformation(token, infoClass, buf, buf.length, len), 'GetTokenInformation');
  return buf;
}

/** Copies the SID a pointer inside `buf` points at (Windows writes SIDs into the same buffer). */
function sidAt(lib: NativeLibrary, buf: Buffer, pointer: bigint): Buffer {
  const offset = Number(pointer - lib.addressOf(buf));
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + 8 > buf.length) {
    throw new SecureSocketError('ERR_WSASEC_INTERNAL', 'a SID pointer points outside the token information', {
      syscall: 'GetTokenInformation',
    });
  }
  const length = 8 + 4 * (buf[offset + 1] as number);
  if (buf[offset] !== 1 || offset + length > buf.length) {
    throw new SecureSocketError('ERR_WSASEC_INTERNAL', 'a malformed SID in the token information', {
      syscall: 'GetTokenInformation',
    });
  }
  return Buffer.from(buf.subarray(offset, offset + length));
}

/** `ConvertSidToStringSidW`, with the LocalAlloc'd string freed. */
export function sidToString(lib: NativeLibrary, sid: Uint8Array): string {
  const out: [unknown] = [null];
  checkBool(lib, lib.ConvertSidToStringSidW(sid, out), 'ConvertSidToStringSidW');
  try {
    return lib.readWideString(out[0]);
  } finally {
    lib.LocalFree(out[0]);
  }
}

/** How long a SID's account name is reused (names change rarely; renames show up after this). */
export const ACCOUNT_NAME_TTL_MS = 10 * 60_000;
/** How long a failed lookup (e.g. an unreachable domain controller) is not retried. */
export const ACCOUNT_NAME_FAILURE_TTL_MS = 60_000;
/** Most SIDs whose names are kept per library. */
export const ACCOUNT_NAME_CACHE_SIZE = 512;

type AccountName = { name?: string; domain?: string };
const accountNames = new WeakMap<NativeLibrary, Map<string, { value: AccountName; expires: number }>>();

/**
 * `LookupAccountSidW`: the account and domain name, or nothing when the SID maps to no name (or
 * the lookup failed). It runs on the event-loop thread and, for a domain SID that LSA has not
 * cached, waits on a domain controller, so answers are cached per SID (failures for a shorter
 * time, so an unreachable DC does not stall every query).
 */
function lookupAccount(lib: NativeLibrary, sidText: string, sid: Uint8Array): AccountName {
  let cache = accountNames.get(lib);
  if (!cache) {
    cache = new Map();
    accountNames.set(lib, cache);
  }
  const now = Date.now();
  const hit = cache.get(sidText);
  if (hit && hit.expires > now) {
    // Re-insert: the Map's order is the eviction order (least recently used first).
    cache.delete(sidText);
    cache.set(sidText, hit);
    return { ...hit.value };
  }
  const { value, ok } = lookupAccountUncached(lib, sid);
  cache.delete(sidText);
  cache.set(sidText, { value, expires: now + (ok ? ACCOUNT_NAME_TTL_MS : ACCOUNT_NAME_FAILURE_TTL_MS) });
  while (cache.size > ACCOUNT_NAME_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return { ...value };
}

/** One `LookupAccountSidW`; `ok` is false when it failed for another reason than an unmapped SID. */
function lookupAccountUncached(lib: NativeLibrary, sid: Uint8Array): { value: AccountName; ok: boolean } {
  let nameChars = 256;
  let domainChars = 256;
  for (let attempt = 0; attempt < 2; attempt++) {
    const name = Buffer.alloc(nameChars * 2);
    const domain = Buffer.alloc(domainChars * 2);
    const cchName: [number] = [nameChars];
    const cchDomain: [number] = [domainChars];
    const use: [number] = [0];
    if (lib.LookupAccountSidW(null, sid, name, cchName, domain, cchDomain, use)) {
      const text = (b: Buffer, n: number) => b.subarray(0, Math.min(n, b.length / 2) * 2).toString('utf16le');
      const result: AccountName = { name: text(name, cchName[0]) };
      if (cchDomain[0] > 0) result.domain = text(domain, cchDomain[0]);
      return { value: result, ok: true };
    }
    const errno = lib.GetLastError();
    if (errno === ERROR_INSUFFICIENT_BUFFER && attempt === 0) {
      nameChars = Math.min(Math.max(cchName[0], nameChars), 0x10000);
      domainChars = Math.min(Math.max(cchDomain[0], domainChars), 0x10000);
      continue;
    }
    // An unmapped SID (or an unreachable domain controller) leaves the principal without a name.
    if (errno !== ERROR_NONE_MAPPED) {
      debug('LookupAccountSidW failed with %d', errno);
      return { value: {}, ok: false };
    }
    return { value: {}, ok: true };
  }
  return { value: {}, ok: false };
}

/** The user and enabled groups of a token. */
export function decodeToken(lib: NativeLibrary, token: number): { user: Principal; groups: Principal[] } {
  const userInfo = tokenInformation(lib, token, TokenUser);
  // TOKEN_USER: SID_AND_ATTRIBUTES { PSID Sid; DWORD Attributes; } (16 bytes on x64).
  const userSid = sidAt(lib, userInfo, userInfo.readBigUInt64LE(0));
  const userSidText = sidToString(lib, userSid);
  const user: Principal = { sid: userSidText, ...lookupAccount(lib, userSidText, userSid) };
  const groupInfo = tokenInformation(lib, token, TokenGroups);
  // TOKEN_GROUPS: DWORD GroupCount; (pad to 8) SID_AND_ATTRIBUTES Groups[GroupCount];
  const count = groupInfo.readUInt32LE(0);
  if (8 + count * 16 > groupInfo.length) {
    throw new SecureSocketError('ERR_WSASEC_INTERNAL', 'TOKEN_GROUPS is shorter than its GroupCount', {
      syscall: 'GetTokenInformation',
    });
  }
  const groups: Principal[] = [];
  for (let i = 0; i < count; i++) {
    const entry = 8 + i * 16;
    const attributes = groupInfo.readUInt32LE(entry + 8);
    if ((attributes & SE_GROUP_ENABLED) === 0) continue;
    groups.push({ sid: sidToString(lib, sidAt(lib, groupInfo, groupInfo.readBigUInt64LE(entry))) });
  }
  return { user, groups };
}

const tokenHandles = new WeakMap<PeerToken, { lib: NativeLibrary; handle: number }>();

/** The handle behind a `PeerToken` this backend made (undefined for any other object). */
export function peerTokenHandle(token: PeerToken): { lib: NativeLibrary; handle: number } | undefined {
  return tokenHandles.get(token);
}

/**
 * Decodes a token handle returned by `WSAQuerySocketSecurity` into a `PeerToken` that owns it. When
 * decoding fails, the handle is closed before the error is thrown.
 */
export function peerTokenFromHandle(
  lib: NativeLibrary,
  tracker: TokenHandleTracker,
  handle: number,
  kind: 'application' | 'machine',
  access: number,
): PeerToken {
  const owned = tracker.adopt(lib, handle);
  let decoded: { user: Principal; groups: Principal[] };
  try {
    decoded = decodeToken(lib, handle);
  } catch (error) {
    owned.release();
    throw error;
  }
  const token = createPeerToken({ kind, access, ...decoded, release: owned.release });
  owned.watch(token);
  tokenHandles.set(token, { lib, handle });
  return token;
}
