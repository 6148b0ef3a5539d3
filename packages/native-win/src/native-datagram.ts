/**
 * Datagram sockets: the SOCKET is created and secured through the API (target names per peer,
 * query and impersonation with a peer address), but carrying datagrams is not part of the
 * `SecureSocket` stream contract, so the stream refuses data with WSAEOPNOTSUPP.
 * @module
 */
import { Duplex } from 'node:stream';
import type {
  NormalizedAddress,
  NormalizedPeerTargetName,
  NormalizedQuery,
  NormalizedSecuritySettings,
  SecurityInfo,
  SocketDriver,
} from '@wsasec/core';
import { SecureSocketError } from '@wsasec/core';
import { deleteSocketPeerTargetName, setSocketPeerTargetName, setSocketSecurity } from './native-calls.js';
import {
  createSocketHandle,
  impersonatePeerOn,
  type NativeContext,
  querySecurityInfo,
} from './native-socket-ops.js';

/** A UDP SOCKET owned by the backend for its whole life (closed when the stream closes). */
export class NativeDatagramDriver implements SocketDriver {
  readonly stream: Duplex;
  readonly #ctx: NativeContext;
  #socket: number;

  constructor(ctx: NativeContext, family: 'ipv4' | 'ipv6') {
    this.#ctx = ctx;
    this.#socket = createSocketHandle(ctx.lib, family, 'dgram');
    this.stream = new Duplex({
      read() {},
      write(_chunk, _encoding, callback) {
        callback(
          new SecureSocketError(
            'WSAEOPNOTSUPP',
            'native-win datagram sockets carry security settings, target names, queries and impersonation; sending datagrams through the stream is not supported',
            { syscall: 'send' },
          ),
        );
      },
    });
    ctx.live.add(this.stream);
    this.stream.once('close', () => {
      ctx.live.delete(this.stream);
      if (this.#socket >= 0) ctx.lib.closesocket(this.#socket);
      this.#socket = -1;
    });
  }

  #live(syscall: string): number {
    if (this.#socket < 0 || this.stream.destroyed) {
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

  connect(): Promise<void> {
    return Promise.reject(
      new SecureSocketError(
        'WSAEOPNOTSUPP',
        'datagram sockets send to a peer address instead of connecting',
        {
          syscall: 'WSAConnect',
        },
      ),
    );
  }

  querySecurity(query: NormalizedQuery): SecurityInfo {
    return querySecurityInfo(this.#ctx, this.#live('WSAQuerySocketSecurity'), query);
  }

  impersonatePeer<T>(fn: () => T, peer: NormalizedAddress | undefined): T {
    return impersonatePeerOn(this.#ctx, this.#live('WSAImpersonateSocketPeer'), fn, peer);
  }
}
