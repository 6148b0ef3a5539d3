// Token, SID, security-descriptor and bookkeeping half of the Linux test library (advapi32 /
// kernel32 semantics): TOKEN_USER / TOKEN_GROUPS written with pointers into the caller's buffer,
// LocalAlloc'd strings and descriptors, a small DACL evaluator, every handle and pointer tracked.
import {
  bytesToSid,
  evaluateDacl,
  type FakeIdentity,
  IDENTITIES,
  parseSddl,
  sidToBytes,
} from './fake-tokens.js';

/** One recorded call. `bytes` is a copy of the buffer argument as it was during the call. */
export interface FakeCall {
  fn: string;
  socket?: number;
  bytes?: Buffer | null;
  len?: number;
  /** For security calls: whether the SOCKET was bound / connected at the time of the call. */
  bound?: boolean;
  connected?: boolean;
  value?: unknown;
}

interface FakeHandle {
  identity: FakeIdentity;
  access: number;
  type: 'primary' | 'impersonation';
}

/** The advapi32/kernel32 functions of the NativeLibrary, with call recording and error injection. */
export class FakeAdvapi {
  readonly calls: FakeCall[] = [];
  /** The SIDs `LookupAccountSidW` was asked about, in order (kept apart from `calls`). */
  readonly lookups: string[] = [];
  /** Protocol errors the fake detected in how it was called (double close, use after close…). */
  readonly violations: string[] = [];
  readonly handles = new Map<number, FakeHandle>();
  readonly pointers = new Map<bigint, { kind: 'string' | 'sd'; value: unknown }>();
  processIdentity: FakeIdentity = IDENTITIES.service;
  protected threadIdentityValue: FakeIdentity | undefined;
  readonly #failures = new Map<string, { errno: number; times: number }>();
  protected lastError = 0;
  #nextHandle = 0x1000;
  #nextPointer = 0x7f00_0000_0000n;
  #bases = new WeakMap<ArrayBufferLike, bigint>();
  #nextBase = 0x5500_0000_0000n;

  /** Makes the next `times` calls of `fn` fail with `errno`. */
  fail(fn: string, errno: number, times = 1): void {
    this.#failures.set(fn, { errno, times });
  }

  /** Calls of one function. */
  callsOf(fn: string): FakeCall[] {
    return this.calls.filter((call) => call.fn === fn);
  }

  /** Open token handles and LocalAlloc'd pointers (both must be zero after a clean test). */
  get leaks(): { handles: number; pointers: number } {
    return { handles: this.handles.size, pointers: this.pointers.size };
  }

  /** Who the calling thread acts as (the fake's thread token). */
  get threadIdentity(): FakeIdentity | undefined {
    return this.threadIdentityValue;
  }

  protected injected(fn: string): number | undefined {
    const f = this.#failures.get(fn);
    if (!f) return undefined;
    if (--f.times <= 0) this.#failures.delete(fn);
    return f.errno;
  }

  protected error(errno: number, rc = -1): number {
    this.lastError = errno;
    return rc;
  }

  // advapi32.dll / kernel32.dll
  protected openToken(
    identity: FakeIdentity,
    access: number,
    type: FakeHandle['type'] = 'impersonation',
  ): number {
    const h = this.#nextHandle;
    this.#nextHandle += 4;
    this.handles.set(h, { identity, access, type });
    return h;
  }

  #token(fn: string, h: number): FakeHandle | undefined {
    const token = this.handles.get(h);
    if (!token) this.violations.push(`${fn}(${h}) on a handle that is not open`);
    return token;
  }

  GetLastError(): number {
    return this.lastError;
  }

  GetTokenInformation(
    token: number,
    infoClass: number,
    info: Uint8Array | null,
    len: number,
    retLen: [number],
  ): number {
    this.calls.push({ fn: 'GetTokenInformation', value: { token, infoClass } });
    const injected = this.injected('GetTokenInformation');
    if (injected) return this.error(injected, 0);
    const t = this.#token('GetTokenInformation', token);
    if (!t) return this.error(6, 0);
    if ((t.access & 0x8) === 0) return this.error(5, 0);
    const entries = infoClass === 1 ? [{ sid: t.identity.sid, attributes: 0 }] : t.identity.groups;
    const header = infoClass === 1 ? 16 : 8 + 16 * entries.length;
    const sids = entries.map((e) => sidToBytes(e.sid));
    const size = header + sids.reduce((n, b) => n + b.length, 0);
    retLen[0] = size;
    if (info === null || len < size) return this.error(122, 0);
    const buf = Buffer.from(info.buffer, info.byteOffset, info.byteLength);
    const base = this.addressOf(info);
    let at = header;
    const first = infoClass === 1 ? 0 : 8;
    if (infoClass !== 1) buf.writeUInt32LE(entries.length, 0);
    entries.forEach((entry, i) => {
      buf.writeBigUInt64LE(base + BigInt(at), first + 16 * i);
      buf.writeUInt32LE(entry.attributes, first + 16 * i + 8);
      (sids[i] as Buffer).copy(buf, at);
      at += (sids[i] as Buffer).length;
    });
    return 1;
  }

  LookupAccountSidW(
    _system: null,
    sid: Uint8Array,
    name: Uint8Array | null,
    cchName: [number],
    domain: Uint8Array | null,
    cchDomain: [number],
    use: [number],
  ): number {
    const text = bytesToSid(sid);
    this.lookups.push(text ?? '');
    const failure = this.#failures.get('LookupAccountSidW');
    if (failure && failure.times > 0) {
      failure.times--;
      return this.error(failure.errno, 0);
    }
    const who = Object.values(IDENTITIES).find((i) => i.sid === text);
    if (!who) return this.error(1332, 0);
    if (cchName[0] < who.name.length + 1 || cchDomain[0] < who.domain.length + 1 || !name || !domain) {
      cchName[0] = who.name.length + 1;
      cchDomain[0] = who.domain.length + 1;
      return this.error(122, 0);
    }
    name.set(Buffer.from(`${who.name}\0`, 'utf16le'));
    domain.set(Buffer.from(`${who.domain}\0`, 'utf16le'));
    cchName[0] = who.name.length;
    cchDomain[0] = who.domain.length;
    use[0] = 1;
    return 1;
  }

  ConvertSidToStringSidW(sid: Uint8Array, out: [unknown]): number {
    const text = bytesToSid(sid);
    if (!text) return this.error(1337, 0);
    out[0] = this.#alloc('string', text);
    return 1;
  }

  #alloc(kind: 'string' | 'sd', value: unknown): bigint {
    const p = this.#nextPointer;
    this.#nextPointer += 0x100n;
    this.pointers.set(p, { kind, value });
    return p;
  }

  ImpersonateLoggedOnUser(token: number): number {
    this.calls.push({ fn: 'ImpersonateLoggedOnUser', value: token });
    const t = this.#token('ImpersonateLoggedOnUser', token);
    if (!t) return this.error(6, 0);
    if ((t.access & 0x4) === 0) return this.error(5, 0);
    this.threadIdentityValue = t.identity;
    return 1;
  }

  RevertToSelf(): number {
    this.calls.push({ fn: 'RevertToSelf' });
    this.threadIdentityValue = undefined;
    return 1;
  }

  DuplicateToken(token: number, _level: number, out: [number]): number {
    const t = this.#token('DuplicateToken', token);
    if (!t) return this.error(6, 0);
    if ((t.access & 0x2) === 0) return this.error(5, 0);
    out[0] = this.openToken(t.identity, 0xf01ff);
    return 1;
  }

  OpenProcessToken(_process: number, access: number, out: [number]): number {
    out[0] = this.openToken(this.processIdentity, access, 'primary');
    return 1;
  }

  OpenThreadToken(_thread: number, access: number, _asSelf: number, out: [number]): number {
    if (!this.threadIdentityValue) return this.error(1008, 0);
    out[0] = this.openToken(this.threadIdentityValue, access);
    return 1;
  }

  AccessCheck(
    sd: unknown,
    token: number,
    desired: number,
    mapping: Uint8Array,
    _privileges: Uint8Array,
    _privilegesLen: [number],
    granted: [number],
    status: [number],
  ): number {
    this.calls.push({ fn: 'AccessCheck', value: { desired } });
    const descriptor = this.pointers.get(sd as bigint);
    const t = this.#token('AccessCheck', token);
    if (descriptor?.kind !== 'sd' || !t) return this.error(87, 0);
    if (t.type !== 'impersonation') return this.error(1309, 0); // ERROR_NO_IMPERSONATION_TOKEN
    const parsed = descriptor.value as NonNullable<ReturnType<typeof parseSddl>>;
    if (!parsed.owner || !parsed.group) return this.error(1338, 0);
    if (desired & 0xf000_0000) return this.error(1798, 0); // ERROR_GENERIC_NOT_MAPPED
    const m = Buffer.from(mapping.buffer, mapping.byteOffset, 16);
    const r = evaluateDacl(parsed.dacl, t.identity, desired, [
      m.readUInt32LE(0),
      m.readUInt32LE(4),
      m.readUInt32LE(8),
      m.readUInt32LE(12),
    ]);
    granted[0] = r.granted;
    status[0] = r.ok ? 1 : 0;
    return 1;
  }

  ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl: string, _rev: number, out: [unknown]): number {
    this.calls.push({ fn: 'ConvertStringSecurityDescriptorToSecurityDescriptorW', value: sddl });
    const parsed = parseSddl(sddl);
    if (!parsed) return this.error(1336, 0);
    out[0] = this.#alloc('sd', parsed);
    return 1;
  }

  CloseHandle(handle: number): number {
    this.calls.push({ fn: 'CloseHandle', value: handle });
    if (!this.handles.delete(handle)) {
      this.violations.push(`CloseHandle(${handle}) of a handle that is not open`);
      return this.error(6, 0);
    }
    return 1;
  }

  LocalFree(mem: unknown): void {
    if (!this.pointers.delete(mem as bigint))
      this.violations.push(`LocalFree(${String(mem)}) of an unknown pointer`);
  }

  addressOf(buf: Uint8Array): bigint {
    let base = this.#bases.get(buf.buffer);
    if (base === undefined) {
      base = this.#nextBase;
      this.#nextBase += 0x100_0000n;
      this.#bases.set(buf.buffer, base);
    }
    return base + BigInt(buf.byteOffset);
  }

  readWideString(ptr: unknown): string {
    const p = this.pointers.get(ptr as bigint);
    if (p?.kind !== 'string') {
      this.violations.push(`readWideString(${String(ptr)}) of an unknown pointer`);
      return '';
    }
    return p.value as string;
  }
}
