/**
 * Listening sockets. The listening SOCKET stays with the backend (secured before bind); koffi's
 * `node.poll` wakes it when connections are pending, and a non-blocking `accept()` takes each one so
 * that its security can be queried before Node sees it. Accepted SOCKETs are then handed to Node's
 * TCP handle and delivered as ordinary `net.Socket`s (usable by `net.Server` / `http.Server` through
 * `server.emit('connection', socket)`).
 * @module
 */
import { debuglog, getSystemErrorName } from 'node:util';
import type {
  NormalizedAddress,
  NormalizedSecuritySettings,
  ServerDriver,
  ServerDriverEvents,
} from '@wsasec/core';
import {
  SecureSocketError,
  SO_EXCLUSIVEADDRUSE,
  SOL_SOCKET,
  WSAECONNABORTED,
  WSAECONNRESET,
  WSAEWOULDBLOCK,
} from '@wsasec/core';
import { decodeSockaddr, encodeSockaddr, SIZEOF_SOCKADDR_STORAGE } from '../abi/address.js';
import { querySocketSecurity, setSocketSecurity } from '../library/calls.js';
import { checkWsa, windowsError } from '../library/errors.js';
import type { NativePollHandle } from '../library/library.js';
import { newTcpHandle, socketOnConnectedHandle } from './node-internals.js';
import { NativeStreamDriver } from './socket.js';
import { admissionFailure, createSocketHandle, type NativeContext } from './socket-ops.js';

const debug = debuglog('wsasec:native');

/** Connections taken per readiness callback, so one busy listener cannot starve the event loop. */
const ACCEPTS_PER_WAKEUP = 64;

/** One listening SOCKET. */
export class NativeServerDriver implements ServerDriver {
  readonly #ctx: NativeContext;
  readonly #family: 'ipv4' | 'ipv6';
  readonly #security: NormalizedSecuritySettings;
  readonly #events: ServerDriverEvents;
  /** net.Server's pauseOnConnect: accepted streams are made paused (net's `pauseOnCreate`). */
  readonly #pauseOnConnect: boolean;
  #listener = -1;
  #poll: NativePollHandle | undefined;
  #closed = false;
  /** The bound address: the bind is synchronous (as net's), so it is known when listen() returns. */
  #bound: NormalizedAddress | null = null;

  constructor(
    ctx: NativeContext,
    opts: { family: 'ipv4' | 'ipv6'; security: NormalizedSecuritySettings; pauseOnConnect?: boolean },
    events: ServerDriverEvents,
  ) {
    this.#ctx = ctx;
    this.#pauseOnConnect = opts.pauseOnConnect === true;
    this.#family = opts.family;
    this.#security = opts.security;
    this.#events = events;
  }

  async listen(host: string, port: number, backlog: number | undefined): Promise<NormalizedAddress> {
    const { lib } = this.#ctx;
    if (this.#closed)
      throw new SecureSocketError('WSAENOTSOCK', 'listen: the server was closed', { syscall: 'listen' });
    const s = createSocketHandle(lib, this.#family, 'stream');
    try {
      const one = Buffer.alloc(4);
      one.writeInt32LE(1);
      checkWsa(
        lib,
        lib.setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, one, 4),
        'setsockopt',
        'SO_EXCLUSIVEADDRUSE',
      );
      setSocketSecurity(lib, s, this.#security);
      const address = encodeSockaddr({ address: host, port, family: this.#family });
      // As net's listen errors: a failed bind is reported by 'listen' (the message names bind).
      checkWsa(lib, lib.bind(s, address, address.length), 'listen', `bind to ${host} port ${port}`);
      checkWsa(lib, lib.listen(s, backlog ?? 511), 'listen');
      const name = Buffer.alloc(SIZEOF_SOCKADDR_STORAGE);
      const len: [number] = [name.length];
      checkWsa(lib, lib.getsockname(s, name, len), 'getsockname');
      const bound = decodeSockaddr(name);
      if (!bound) throw new SecureSocketError('ERR_WSASEC_INTERNAL', 'getsockname returned no address');
      this.#poll = lib.poll(s, (status) => this.#onReadable(status));
      this.#listener = s;
      this.#bound = bound;
      debug('listening SOCKET %d on %s port %d', s, bound.address, bound.port);
      return bound;
    } catch (error) {
      lib.closesocket(s);
      throw error;
    }
  }

  address(): NormalizedAddress | null {
    return this.#closed ? null : this.#bound;
  }

  #onReadable(status: number): void {
    if (this.#closed || this.#listener < 0) return;
    const { lib } = this.#ctx;
    if (status < 0) {
      this.#events.error(
        new SecureSocketError(
          'ERR_WSASEC_INTERNAL',
          `watching the listening SOCKET failed (${getSystemErrorName(status)})`,
          {
            syscall: 'accept',
          },
        ),
      );
      return;
    }
    for (let i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
      // A 'connection' listener may have closed the server (net allows it): accept no more.
      if (this.#closed || this.#listener < 0) return;
      const peer = Buffer.alloc(SIZEOF_SOCKADDR_STORAGE);
      const c = lib.accept(this.#listener, peer, [peer.length]);
      if (c < 0) {
        const errno = lib.WSAGetLastError();
        if (errno === WSAEWOULDBLOCK) return;
        // A connection that was reset before it was taken is gone; keep taking the others.
        if (errno === WSAECONNRESET || errno === WSAECONNABORTED) continue;
        this.#events.error(windowsError(errno, 'accept'));
        return;
      }
      this.#admit(c);
    }
    // More may be pending: the poll fires again while the listener stays readable.
  }

  #admit(c: number): void {
    const { lib } = this.#ctx;
    if (this.#ctx.verifyConnections) {
      let reason: string | undefined;
      let cause: unknown;
      try {
        const info = querySocketSecurity(lib, c, { protocol: 0, tokenAccess: 0 }, this.#ctx.maxQueryInfoSize);
        reason = admissionFailure(this.#security, info.flags);
      } catch (error) {
        reason = 'querying the accepted connection failed';
        cause = error;
      }
      if (reason) {
        lib.closesocket(c);
        debug('refused accepted SOCKET %d: %s', c, reason);
        this.#events.negotiationError(
          new SecureSocketError(
            'ERR_WSASEC_NEGOTIATION_FAILED',
            `${reason}; it was closed before Node saw it`,
            {
              syscall: 'accept',
              cause,
            },
          ),
        );
        return;
      }
    }
    const handle = newTcpHandle('socket');
    const rc = handle.open(c);
    if (rc !== 0) {
      lib.closesocket(c);
      this.#events.error(
        new SecureSocketError(
          'ERR_WSASEC_INTERNAL',
          `Node could not take over an accepted SOCKET (${getSystemErrorName(rc)})`,
          {
            syscall: 'accept',
          },
        ),
      );
      return;
    }
    const stream = socketOnConnectedHandle(handle, this.#pauseOnConnect);
    this.#events.connection(NativeStreamDriver.accepted(this.#ctx, c, handle, stream));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#poll?.close();
    this.#poll = undefined;
    if (this.#listener >= 0) this.#ctx.lib.closesocket(this.#listener);
    this.#listener = -1;
  }
}
