/**
 * Datagram sockets: a UDP SOCKET created and secured through the API (target names per peer,
 * query and impersonation with a peer address). Carrying datagrams (bind, sendto, recvfrom) is not
 * wired yet: those calls answer WSAEOPNOTSUPP.
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
import { SecureSocketError } from '@wsasec/core';
import { deleteSocketPeerTargetName, setSocketPeerTargetName, setSocketSecurity } from './native-calls.js';
import {
  createSocketHandle,
  impersonatePeerOn,
  type NativeContext,
  querySecurityInfo,
} from './native-socket-ops.js';

/** A UDP SOCKET owned by the backend for its whole life (closed by `close()`). */
export class NativeDatagramDriver implements DatagramDriver {
  readonly #ctx: NativeContext;
  readonly #events: DatagramDriverEvents;
  readonly #entry = { destroy: () => this.close() };
  #socket: number;

  constructor(ctx: NativeContext, family: 'ipv4' | 'ipv6', events: DatagramDriverEvents) {
    this.#ctx = ctx;
    this.#events = events;
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

  bind(): Promise<NormalizedAddress> {
    return Promise.reject(notWired('bind'));
  }

  send(): Promise<void> {
    return Promise.reject(notWired('WSASendTo'));
  }

  querySecurity(query: NormalizedQuery): SecurityInfo {
    return querySecurityInfo(this.#ctx, this.#live('WSAQuerySocketSecurity'), query);
  }

  impersonatePeer<T>(fn: () => T, peer: NormalizedAddress): T {
    return impersonatePeerOn(this.#ctx, this.#live('WSAImpersonateSocketPeer'), fn, peer);
  }

  ref(): void {}

  unref(): void {}

  close(): void {
    if (this.#socket < 0) return;
    this.#ctx.live.delete(this.#entry);
    this.#ctx.lib.closesocket(this.#socket);
    this.#socket = -1;
    setImmediate(() => this.#events.close());
  }
}

function notWired(syscall: string): SecureSocketError {
  return new SecureSocketError(
    'WSAEOPNOTSUPP',
    `${syscall}: native-win datagram sockets carry security settings, target names, queries and impersonation; sending and receiving datagrams is not supported yet`,
    { syscall },
  );
}
