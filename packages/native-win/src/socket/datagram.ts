/**
 * Datagram sockets: a UDP SOCKET created and secured through the API (target names per peer,
 * query and impersonation with a peer address) that the backend keeps for its whole life. Node's
 * `dgram` cannot adopt a Windows SOCKET (`bind({ fd })` refuses it: ERR_INVALID_FD_TYPE), so I/O
 * goes through `koffi.node.poll` (readability on Node's event loop; it makes the SOCKET
 * non-blocking) with `recvfrom` until WSAEWOULDBLOCK, and `sendto`. Windows negotiates each peer's
 * SA itself on the first `sendto`.
 * @module
 */
import type {
  DatagramDriver,
  DatagramDriverEvents,
  NormalizedAddress,
  NormalizedPeerTargetName,
  NormalizedQuery,
  NormalizedSecuritySettings,
  SecurityInfo,
} from '@wsasec/core';
import {
  SecureSocketError,
  SO_EXCLUSIVEADDRUSE,
  SOL_SOCKET,
  WSAECONNRESET,
  WSAEMSGSIZE,
  WSAEWOULDBLOCK,
} from '@wsasec/core';
import { decodeSockaddr, encodeSockaddr, SIZEOF_SOCKADDR_STORAGE } from '../abi/address.js';
import { deleteSocketPeerTargetName, setSocketPeerTargetName, setSocketSecurity } from '../library/calls.js';
import { checkWsa, windowsError } from '../library/errors.js';
import type { NativePollHandle } from '../library/library.js';
import {
  createSocketHandle,
  impersonatePeerOn,
  type NativeContext,
  querySecurityInfo,
} from './socket-ops.js';

/** Datagrams read per wake-up before yielding to the event loop (the poll fires again if more wait). */
const RECEIVES_PER_WAKEUP = 64;
/** Largest UDP payload. */
const MAX_UDP_PAYLOAD = 65_535;

/** A UDP SOCKET owned by the backend for its whole life (closed by `close()`). */
export class NativeDatagramDriver implements DatagramDriver {
  readonly #ctx: NativeContext;
  readonly #events: DatagramDriverEvents;
  readonly #family: 'ipv4' | 'ipv6';
  readonly #entry = { destroy: () => this.close() };
  #socket: number;
  #poll: NativePollHandle | undefined;
  #referenced = true;
  #buffer: Buffer | undefined;

  constructor(ctx: NativeContext, family: 'ipv4' | 'ipv6', events: DatagramDriverEvents) {
    this.#ctx = ctx;
    this.#events = events;
    this.#family = family;
    this.#socket = createSocketHandle(ctx.lib, family, 'dgram');
    ctx.live.add(this.#entry);
  }

  #live(syscall: string): number {
    if (this.#socket < 0) {
      throw new SecureSocketError('WSAENOTSOCK', `${syscall}: the socket is closed`, { syscall });
    }
    return this.#socket;
  }

  setSecurity(settings: NormalizedSecuritySettings): void {
    setSocketSecurity(this.#ctx.lib, this.#live('WSASetSocketSecurity'), settings);
  }

  setPeerTargetName(target: NormalizedPeerTargetName): void {
    setSocketPeerTargetName(this.#ctx.lib, this.#live('WSASetSocketPeerTargetName'), target, this.#ctx.unit);
  }

  deletePeerTargetName(peer: NormalizedAddress): void {
    deleteSocketPeerTargetName(this.#ctx.lib, this.#live('WSADeleteSocketPeerTargetName'), peer);
  }

  /** `bind` (exclusive, as a secured socket must be), `getsockname`, then the readability watch. */
  async bind(address: NormalizedAddress): Promise<NormalizedAddress> {
    const { lib } = this.#ctx;
    const s = this.#live('bind');
    const one = Buffer.alloc(4);
    one.writeInt32LE(1);
    checkWsa(
      lib,
      lib.setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, one, 4),
      'setsockopt',
      'SO_EXCLUSIVEADDRUSE',
    );
    const name = encodeSockaddr(address);
    checkWsa(lib, lib.bind(s, name, name.length), 'bind');
    const out = Buffer.alloc(SIZEOF_SOCKADDR_STORAGE);
    checkWsa(lib, lib.getsockname(s, out, [out.length]), 'getsockname');
    const bound = decodeSockaddr(out);
    if (!bound)
      throw new SecureSocketError('ERR_WSASEC_INTERNAL', 'getsockname returned no address', {
        syscall: 'bind',
      });
    this.#poll = lib.poll(s, (status) => this.#onReadable(status));
    if (!this.#referenced) this.#poll.unref();
    return { ...bound, family: this.#family };
  }

  #onReadable(status: number): void {
    if (this.#socket < 0) return;
    if (status < 0) {
      this.#events.error(
        new SecureSocketError(
          'ERR_WSASEC_INTERNAL',
          `watching the datagram SOCKET failed (status ${status})`,
          {
            syscall: 'recvfrom',
          },
        ),
      );
      return;
    }
    const { lib } = this.#ctx;
    this.#buffer ??= Buffer.alloc(MAX_UDP_PAYLOAD);
    const buf = this.#buffer;
    for (let i = 0; i < RECEIVES_PER_WAKEUP && this.#socket >= 0; i++) {
      const from = Buffer.alloc(SIZEOF_SOCKADDR_STORAGE);
      const fromLen: [number] = [from.length];
      const n = lib.recvfrom(this.#socket, buf, buf.length, 0, from, fromLen);
      if (n < 0) {
        const errno = lib.WSAGetLastError();
        if (errno === WSAEWOULDBLOCK) return;
        // An ICMP port unreachable for an earlier sendto, or a datagram larger than the buffer:
        // neither ends the socket; the next datagram is still readable.
        if (errno === WSAECONNRESET || errno === WSAEMSGSIZE) continue;
        this.#events.error(windowsError(errno, 'recvfrom'));
        return;
      }
      let peer: NormalizedAddress | undefined;
      try {
        peer = decodeSockaddr(from);
      } catch {
        peer = undefined;
      }
      if (!peer) continue;
      this.#events.message(Buffer.from(buf.subarray(0, n)), peer);
    }
  }

  /** `sendto`: Windows negotiates the peer's SA on the first one (and queues the datagram meanwhile). */
  async send(data: Buffer, peer: NormalizedAddress): Promise<void> {
    const { lib } = this.#ctx;
    const s = this.#live('WSASendTo');
    if (data.length > MAX_UDP_PAYLOAD) {
      throw new SecureSocketError('WSAEMSGSIZE', `sendto: at most ${MAX_UDP_PAYLOAD} bytes`, {
        syscall: 'WSASendTo',
      });
    }
    const to = encodeSockaddr(peer);
    const n = lib.sendto(s, data, data.length, 0, to, to.length);
    if (n < 0) throw windowsError(lib.WSAGetLastError(), 'WSASendTo');
  }

  querySecurity(query: NormalizedQuery): SecurityInfo {
    return querySecurityInfo(this.#ctx, this.#live('WSAQuerySocketSecurity'), query);
  }

  impersonatePeer<T>(fn: () => T, peer: NormalizedAddress): T {
    return impersonatePeerOn(this.#ctx, this.#live('WSAImpersonateSocketPeer'), fn, peer);
  }

  ref(): void {
    this.#referenced = true;
    this.#poll?.ref();
  }

  unref(): void {
    this.#referenced = false;
    this.#poll?.unref();
  }

  close(): void {
    if (this.#socket < 0) return;
    this.#ctx.live.delete(this.#entry);
    this.#poll?.close();
    this.#poll = undefined;
    this.#ctx.lib.closesocket(this.#socket);
    this.#socket = -1;
    setImmediate(() => this.#events.close());
  }
}
