// A NativeLibrary for Linux tests. Sockets are real: libc through koffi, so the backend's whole
// hand-over to Node's TCP handle runs (only the family value AF_INET6 is translated, 23 <-> 10).
// The secure socket functions, tokens and security descriptors are JavaScript with Windows
// semantics: every call is recorded with its bytes, errors can be injected, the query size probe is
// emulated (WSAEMSGSIZE or WSAEFAULT), and every handle and LocalAlloc'd pointer is tracked.
import { fstatSync } from 'node:fs';
import type { NormalizedSecuritySettings } from '@wsasec/core';
import koffi from 'koffi';
import { decodeQueryTemplate } from '../../src/abi/query.js';
import { decodePeerTargetName } from '../../src/abi/target-name.js';
import { decodeSecuritySettings, decodeSockaddr, encodeQueryInfo, type QueryInfo } from '../../src/abi.js';
import type { NativeLibrary, NativePollHandle } from '../../src/library/library.js';
import { FakeAdvapi, type FakeCall } from './fake-advapi.js';
import { type FakeIdentity, IDENTITIES } from './fake-tokens.js';

export type { FakeCall } from './fake-advapi.js';

const libc = koffi.load('libc.so.6');
const c = {
  socket: libc.func('int socket(int, int, int)'),
  bind: libc.func('int bind(int, const void *, uint32_t)'),
  listen: libc.func('int listen(int, int)'),
  accept4: libc.func('int accept4(int, void *, _Inout_ uint32_t *, int)'),
  getsockname: libc.func('int getsockname(int, void *, _Inout_ uint32_t *)'),
  getpeername: libc.func('int getpeername(int, void *, _Inout_ uint32_t *)'),
  close: libc.func('int close(int)'),
  sendto: libc.func('intptr_t sendto(int, const void *, size_t, int, const void *, uint32_t)'),
  recvfrom: libc.func('intptr_t recvfrom(int, void *, size_t, int, void *, _Inout_ uint32_t *)'),
};

const LINUX_AF_INET6 = 10;
const SOCK_CLOEXEC = 0x80000;
const ERRNO_TO_WSA: Record<number, number> = {
  9: 10038, // EBADF
  11: 10035, // EAGAIN
  13: 10013, // EACCES
  22: 10022, // EINVAL
  88: 10038, // ENOTSOCK
  97: 10047, // EAFNOSUPPORT
  98: 10048, // EADDRINUSE
  99: 10049, // EADDRNOTAVAIL
  103: 10053, // ECONNABORTED
  104: 10054, // ECONNRESET
};

export const WSAEFAULT = 10014;
export const WSAEINVAL = 10022;
export const WSAEMSGSIZE = 10040;
export const WSAENOTSOCK = 10038;

interface FakeSocket {
  fd: number;
  family: 'ipv4' | 'ipv6';
  type: number;
  accepted: boolean;
  securitySet: boolean;
}

/**
 * Secured SOCKETs of every FakeLibrary in this process, by descriptor, with their settings (an
 * accepted SOCKET carries its listener's). The 'network' query mode reads the peer's entry.
 */
const SECURED = new Map<number, { ino: number; settings: NormalizedSecuritySettings }>();

// Node closes the SOCKETs it was handed without telling the library, and the descriptor number
// is reused at once: an entry only counts while the descriptor is still the same socket (inode).
function inode(fd: number): number | undefined {
  try {
    return fstatSync(fd).ino;
  } catch {
    return undefined;
  }
}

function secured(fd: number): NormalizedSecuritySettings | undefined {
  const entry = SECURED.get(fd);
  if (!entry) return undefined;
  if (inode(fd) === entry.ino) return entry.settings;
  SECURED.delete(fd);
  return undefined;
}

function endpoint(fn: 'getsockname' | 'getpeername', fd: number): string | undefined {
  const name = Buffer.alloc(128);
  if (c[fn](fd, name, [128]) !== 0) return undefined;
  return name.subarray(0, 2).readUInt16LE(0) === 2
    ? `${name.subarray(4, 8).join('.')}:${name.readUInt16BE(2)}`
    : `${name.subarray(8, 24).toString('hex')}:${name.readUInt16BE(2)}`;
}

/** What the fake's WSAQuerySocketSecurity answers. */
export interface FakeQueryScript {
  /**
   * 'scripted': `flags` as given. 'network': derived from both ends inside this process — SECURED
   * when both SOCKETs were secured through a FakeLibrary, plus ENCRYPTED when either end guarantees
   * encryption; 0 when the peer applied no security (e.g. a plain Node socket). No negotiation.
   */
  mode?: 'scripted' | 'network';
  flags: number;
  /** Error for the size probe: WSAEMSGSIZE (reference page) or WSAEFAULT (Microsoft's sample). */
  probeError: number;
  /** Peer identities behind the token handles (undefined: no token of that kind). */
  application?: FakeIdentity;
  machine?: FakeIdentity;
  /** Return the 64-byte IPSEC2 result even for a v1 template. */
  alwaysIpsec2?: boolean;
  ipsec2: NonNullable<QueryInfo['ipsec2']>;
}

function translateFamily(bytes: Uint8Array, from: number, to: number): Buffer {
  const copy = Buffer.from(bytes);
  if (copy.length >= 2 && copy.readUInt16LE(0) === from) copy.writeUInt16LE(to, 0);
  return copy;
}

export class FakeLibrary extends FakeAdvapi implements NativeLibrary {
  readonly sockets = new Map<number, FakeSocket>();
  query: FakeQueryScript = {
    flags: 0x3,
    probeError: WSAEMSGSIZE,
    application: IDENTITIES.alice,
    machine: IDENTITIES.clientMachine,
    ipsec2: {
      mmSaId: 0x1122334455667788n,
      qmSaId: 42n,
      negotiationError: 0,
      saLookupContext: '6b29fc40-ca47-1067-b31d-00dd010662da',
    },
  };

  #libcError(rc = -1): number {
    return this.error(ERRNO_TO_WSA[koffi.errno()] ?? 10022, rc);
  }

  #state(fd: number): { bound: boolean; connected: boolean } {
    const name = Buffer.alloc(128);
    c.getsockname(fd, name, [128]);
    const port = name.readUInt16BE(2);
    return { bound: port !== 0, connected: c.getpeername(fd, Buffer.alloc(128), [128]) === 0 };
  }

  #socket(fn: string, s: number): FakeSocket | undefined {
    const sock = this.sockets.get(s);
    if (!sock) this.violations.push(`${fn} on ${s}, which is not a SOCKET the library created`);
    return sock;
  }

  // ws2_32.dll
  WSASocketW(af: number, type: number, protocol: number, _info: null, _g: number, flags: number): number {
    this.calls.push({ fn: 'WSASocketW', value: { af, type, protocol, flags } });
    const injected = this.injected('WSASocketW');
    if (injected) return this.error(injected);
    const fd = c.socket(af === 23 ? LINUX_AF_INET6 : af, type | SOCK_CLOEXEC, protocol) as number;
    if (fd < 0) return this.#libcError();
    this.sockets.set(fd, {
      fd,
      family: af === 2 ? 'ipv4' : 'ipv6',
      type,
      accepted: false,
      securitySet: false,
    });
    return fd;
  }

  closesocket(s: number): number {
    this.calls.push({ fn: 'closesocket', socket: s });
    if (!this.sockets.has(s)) {
      this.violations.push(`closesocket(${s}) of a SOCKET the library does not own`);
      return this.error(WSAENOTSOCK);
    }
    this.sockets.delete(s);
    SECURED.delete(s);
    return c.close(s) === 0 ? 0 : this.#libcError();
  }

  bind(s: number, name: Uint8Array, namelen: number): number {
    this.calls.push({ fn: 'bind', socket: s, bytes: Buffer.from(name), len: namelen });
    const injected = this.injected('bind');
    if (injected) return this.error(injected);
    const addr = translateFamily(name, 23, LINUX_AF_INET6);
    return c.bind(s, addr, namelen) === 0 ? 0 : this.#libcError();
  }

  listen(s: number, backlog: number): number {
    this.calls.push({ fn: 'listen', socket: s, value: backlog });
    return c.listen(s, backlog) === 0 ? 0 : this.#libcError();
  }

  accept(s: number, addr: Uint8Array | null, addrlen: [number] | null): number {
    const injected = this.injected('accept');
    if (injected) return this.error(injected);
    const fd = c.accept4(s, addr, addrlen, SOCK_CLOEXEC) as number;
    if (fd < 0) return this.#libcError();
    if (addr) addr.set(translateFamily(addr, LINUX_AF_INET6, 23));
    const listener = this.sockets.get(s);
    this.calls.push({ fn: 'accept', socket: s, value: fd });
    const inherited = secured(s);
    if (inherited) SECURED.set(fd, { ino: inode(fd) ?? -1, settings: inherited });
    else SECURED.delete(fd);
    this.sockets.set(fd, {
      fd,
      family: listener?.family ?? 'ipv4',
      type: 1,
      accepted: true,
      securitySet: listener?.securitySet ?? false,
    });
    return fd;
  }

  getsockname(s: number, name: Uint8Array, namelen: [number]): number {
    if (c.getsockname(s, name, namelen) !== 0) return this.#libcError();
    name.set(translateFamily(name, LINUX_AF_INET6, 23));
    return 0;
  }

  setsockopt(s: number, level: number, optname: number, optval: Uint8Array, optlen: number): number {
    this.calls.push({
      fn: 'setsockopt',
      socket: s,
      bytes: Buffer.from(optval),
      len: optlen,
      value: { level, optname },
    });
    return 0;
  }

  sendto(s: number, buf: Uint8Array, len: number, flags: number, to: Uint8Array, tolen: number): number {
    this.calls.push({ fn: 'sendto', socket: s, bytes: Buffer.from(to), len: tolen, value: len });
    const injected = this.injected('sendto');
    if (injected) return this.error(injected);
    const n = Number(c.sendto(s, buf, len, flags, translateFamily(to, 23, LINUX_AF_INET6), tolen));
    return n < 0 ? this.#libcError() : n;
  }

  recvfrom(
    s: number,
    buf: Uint8Array,
    len: number,
    flags: number,
    from: Uint8Array,
    fromlen: [number],
  ): number {
    const injected = this.injected('recvfrom');
    if (injected) return this.error(injected);
    const n = Number(c.recvfrom(s, buf, len, flags, from, fromlen));
    if (n < 0) return this.#libcError();
    from.set(translateFamily(from, LINUX_AF_INET6, 23));
    return n;
  }

  WSAGetLastError(): number {
    return this.lastError;
  }

  // fwpuclnt.dll
  #secureCall(fn: string, s: number, bytes: Uint8Array | null, len: number): FakeSocket | number {
    const sock = this.#socket(fn, s);
    this.calls.push({
      fn,
      socket: s,
      bytes: bytes && Buffer.from(bytes),
      len,
      ...(sock ? this.#state(s) : {}),
    });
    if (!sock) return this.error(WSAENOTSOCK);
    const injected = this.injected(fn);
    if (injected) return this.error(injected);
    return sock;
  }

  WSASetSocketSecurity(s: number, settings: Uint8Array | null, len: number): number {
    const sock = this.#secureCall('WSASetSocketSecurity', s, settings, len);
    if (typeof sock === 'number') return sock;
    if (sock.securitySet) return this.error(WSAEINVAL);
    try {
      SECURED.set(s, { ino: inode(s) ?? -1, settings: decodeSecuritySettings(settings, len) });
    } catch (error) {
      return this.error((error as { errno?: number }).errno ?? WSAEINVAL);
    }
    sock.securitySet = true;
    return 0;
  }

  WSASetSocketPeerTargetName(s: number, name: Uint8Array, len: number): number {
    const sock = this.#secureCall('WSASetSocketPeerTargetName', s, name, len);
    if (typeof sock === 'number') return sock;
    // The length unit is an open question (spec §6.1): accept the name if either reading fits.
    let failure: unknown;
    for (const unit of ['chars', 'bytes'] as const) {
      try {
        decodePeerTargetName(name, len, unit);
        return 0;
      } catch (error) {
        failure ??= error;
      }
    }
    return this.error((failure as { errno?: number }).errno ?? WSAEINVAL);
  }

  WSADeleteSocketPeerTargetName(s: number, addr: Uint8Array, len: number): number {
    const sock = this.#secureCall('WSADeleteSocketPeerTargetName', s, addr, len);
    if (typeof sock === 'number') return sock;
    if (len !== 16 && len !== 28) return this.error(WSAEMSGSIZE);
    return decodeSockaddr(addr) ? 0 : this.error(10047);
  }

  WSAQuerySocketSecurity(
    s: number,
    template: Uint8Array | null,
    templateLen: number,
    info: Uint8Array | null,
    infoLen: [number],
  ): number {
    const sock = this.#secureCall('WSAQuerySocketSecurity', s, template, templateLen);
    if (typeof sock === 'number') return sock;
    const last = this.calls[this.calls.length - 1] as FakeCall;
    last.value = { infoNull: info === null, infoLen: infoLen[0] };
    let tpl: ReturnType<typeof decodeQueryTemplate>;
    try {
      tpl = decodeQueryTemplate(template, templateLen);
    } catch (error) {
      return this.error((error as { errno?: number }).errno ?? WSAEINVAL);
    }
    const v2 = this.query.alwaysIpsec2 || tpl.protocol === 2 || templateLen >= 152;
    const needed = v2 ? 64 : 24;
    if (info === null || infoLen[0] < needed) {
      infoLen[0] = needed;
      return this.error(this.query.probeError);
    }
    const flags = this.query.mode === 'network' ? this.#networkFlags(s) : this.query.flags;
    const secured = (flags & 1) !== 0;
    const open = (identity: FakeIdentity | undefined) => {
      if (!identity || tpl.tokenAccess === 0 || !secured) return 0n;
      return BigInt(this.openToken(identity, tpl.tokenAccess));
    };
    const out: QueryInfo = {
      protocol: tpl.protocol,
      flags,
      applicationToken: open(this.query.application),
      machineToken: open(this.query.machine),
      ...(v2 ? { ipsec2: this.query.ipsec2 } : {}),
    };
    info.set(encodeQueryInfo(out));
    infoLen[0] = needed;
    return 0;
  }

  #networkFlags(s: number): number {
    const local = secured(s);
    const here = endpoint('getsockname', s);
    const there = endpoint('getpeername', s);
    if (!local || !here || !there) return 0;
    for (const fd of [...SECURED.keys()]) {
      const settings = secured(fd);
      if (!settings || fd === s) continue;
      if (endpoint('getsockname', fd) !== there || endpoint('getpeername', fd) !== here) continue;
      const guarantee = (local.securityFlags | settings.securityFlags) & 0x1;
      return 0x1 | (guarantee ? 0x2 : 0);
    }
    return 0;
  }

  WSAImpersonateSocketPeer(s: number, addr: Uint8Array | null, len: number): number {
    const sock = this.#secureCall('WSAImpersonateSocketPeer', s, addr, len);
    if (typeof sock === 'number') return sock;
    this.threadIdentityValue = this.query.application ?? this.query.machine;
    return 0;
  }

  WSARevertImpersonation(): number {
    this.calls.push({ fn: 'WSARevertImpersonation' });
    const injected = this.injected('WSARevertImpersonation');
    if (injected) return this.error(injected);
    this.threadIdentityValue = undefined;
    return 0;
  }

  poll(s: number, onReadable: (status: number) => void): NativePollHandle {
    const handle = koffi.node.poll(s, { readable: true }, ((status: number) => onReadable(status)) as never);
    return handle;
  }
}
