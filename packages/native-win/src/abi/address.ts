import type { NormalizedAddress } from '@wsasec/core';
import { SecureSocketError } from '@wsasec/core';

/** `AF_INET` on Windows. */
export const WIN_AF_INET = 2;
/** `AF_INET6` on Windows (Linux uses 10). */
export const WIN_AF_INET6 = 23;
/** `sizeof(struct sockaddr_in)`. */
export const SIZEOF_SOCKADDR_IN = 16;
/** `sizeof(struct sockaddr_in6)`. */
export const SIZEOF_SOCKADDR_IN6 = 28;
/** `sizeof(SOCKADDR_STORAGE)`. */
export const SIZEOF_SOCKADDR_STORAGE = 128;

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes.push(n);
  }
  return bytes;
}

/**
 * The 16 bytes of an IPv6 literal (`::1`, `fe80::1`, `::ffff:1.2.3.4`; a `%zone` is ignored).
 * @throws SecureSocketError WSAEINVAL when `text` is not an IPv6 literal.
 */
export function ipv6ToBytes(text: string): Uint8Array {
  const bad = () =>
    new SecureSocketError('WSAEINVAL', `${JSON.stringify(text)} is not an IPv6 address literal`, {
      syscall: 'WSAConnect',
    });
  const address = text.split('%')[0] ?? '';
  const halves = address.split('::');
  if (halves.length > 2) throw bad();
  const groups = (half: string): number[] => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    pieces.forEach((piece, i) => {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4) throw bad();
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
        return;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) throw bad();
      out.push(Number.parseInt(piece, 16));
    });
    return out;
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) throw bad();
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

/** The canonical text of 16 IPv6 address bytes, as Node prints it (`::1`, `fe80::1`). */
export function bytesToIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  // RFC 5952: compress the longest run (of at least two) of zero groups, the first on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/**
 * Writes a `sockaddr_in` / `sockaddr_in6` (Windows layout, port and address in network byte order)
 * into `target` at `offset`, and returns the number of bytes it takes (16 or 28).
 * @param af6 the `AF_INET6` value to write (23 on Windows).
 * @throws SecureSocketError WSAEINVAL when the address is not a literal of its family.
 */
export function writeSockaddr(
  target: Uint8Array,
  offset: number,
  address: NormalizedAddress,
  af6 = WIN_AF_INET6,
): number {
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  if (address.family === 'ipv4') {
    const v4 = parseIpv4(address.address);
    if (!v4) {
      throw new SecureSocketError('WSAEINVAL', `${JSON.stringify(address.address)} is not an IPv4 literal`, {
        syscall: 'WSAConnect',
      });
    }
    view.setUint16(offset, WIN_AF_INET, true);
    view.setUint16(offset + 2, address.port, false);
    target.set(v4, offset + 4);
    return SIZEOF_SOCKADDR_IN;
  }
  view.setUint16(offset, af6, true);
  view.setUint16(offset + 2, address.port, false);
  view.setUint32(offset + 4, 0, true);
  target.set(ipv6ToBytes(address.address), offset + 8);
  view.setUint32(offset + 24, 0, true);
  return SIZEOF_SOCKADDR_IN6;
}

/**
 * Encodes a `sockaddr_in` (16 bytes) or `sockaddr_in6` (28 bytes) for `bind`,
 * `WSADeleteSocketPeerTargetName` and `WSAImpersonateSocketPeer`.
 */
export function encodeSockaddr(address: NormalizedAddress, af6 = WIN_AF_INET6): Buffer {
  const buf = Buffer.alloc(address.family === 'ipv4' ? SIZEOF_SOCKADDR_IN : SIZEOF_SOCKADDR_IN6);
  writeSockaddr(buf, 0, address, af6);
  return buf;
}

/**
 * Decodes a `sockaddr_in` / `sockaddr_in6` (as returned by `getsockname`, `accept`, or embedded in
 * a `SOCKADDR_STORAGE`). Returns undefined for `AF_UNSPEC` (an all-zero storage).
 * @throws SecureSocketError WSAEAFNOSUPPORT for another family, WSAEMSGSIZE when too short.
 */
export function decodeSockaddr(
  source: Uint8Array,
  offset = 0,
  af6 = WIN_AF_INET6,
): NormalizedAddress | undefined {
  const view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  if (source.byteLength < offset + 2) {
    throw new SecureSocketError('WSAEMSGSIZE', 'a socket address needs at least 2 bytes');
  }
  const family = view.getUint16(offset, true);
  if (family === 0) return undefined;
  if (family === WIN_AF_INET) {
    if (source.byteLength < offset + SIZEOF_SOCKADDR_IN)
      throw new SecureSocketError('WSAEMSGSIZE', 'a sockaddr_in needs 16 bytes');
    const a = source.subarray(offset + 4, offset + 8);
    return { family: 'ipv4', address: Array.from(a).join('.'), port: view.getUint16(offset + 2, false) };
  }
  if (family === af6) {
    if (source.byteLength < offset + SIZEOF_SOCKADDR_IN6)
      throw new SecureSocketError('WSAEMSGSIZE', 'a sockaddr_in6 needs 28 bytes');
    return {
      family: 'ipv6',
      address: bytesToIpv6(source.subarray(offset + 8, offset + 24)),
      port: view.getUint16(offset + 2, false),
    };
  }
  throw new SecureSocketError('WSAEAFNOSUPPORT', `address family ${family} is neither AF_INET nor AF_INET6`);
}
