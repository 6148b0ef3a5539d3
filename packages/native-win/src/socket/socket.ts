/**
 * Stream sockets. A client creates its SOCKET itself (`WSASocketW`), applies security and the
 * target name while it still owns it, then hands it to Node's own TCP handle and lets Node connect
 * to one IP literal; an accepted SOCKET is handed to Node at once. After that hand-over Node owns
 * the SOCKET: the backend never closes it and never uses its number after `'close'`.
 * @module
 */
import type * as net from 'node:net';
import { debuglog, getSystemErrorName } from 'node:util';
import type {
  NormalizedAddress,
  NormalizedConnectTarget,
  NormalizedPeerTargetName,
  NormalizedQuery,
  NormalizedSecuritySettings,
  SecurityAssociations,
  SecurityInfo,
  SocketDriver,
} from '@wsasec/core';
import { SecureSocketError, toSecureSocketError } from '@wsasec/core';
import {
  deleteSocketPeerTargetName,
  querySocketSecurity,
  setSocketPeerTargetName,
  setSocketSecurity,
} from '../library/calls.js';
import { lookupSecurityAssociations } from '../wfp/associations.js';
import {
  connectOnHandle,
  handleOf,
  holdWritesUntilConnect,
  newTcpHandle,
  socketOnUnconnectedHandle,
  type TcpHandle,
} from './node-internals.js';
import {
  admissionFailure,
  createSocketHandle,
  impersonatePeerOn,
  type NativeContext,
  querySecurityInfo,
} from './socket-ops.js';

const debug = debuglog('wsasec:native');

/** A stream socket: a client before/after connect, or a connection accepted by a server. */
export class NativeStreamDriver implements SocketDriver {
  readonly stream: net.Socket;
  readonly #ctx: NativeContext;
  readonly #handle: TcpHandle;
  #socket: number;
  #adopted: boolean;
  #settings: NormalizedSecuritySettings | undefined;

  private constructor(
    ctx: NativeContext,
    socket: number,
    handle: TcpHandle,
    stream: net.Socket,
    adopted: boolean,
  ) {
    this.#ctx = ctx;
    this.#socket = socket;
    this.#handle = handle;
    this.stream = stream;
    this.#adopted = adopted;
    ctx.live.add(stream);
    stream.once('close', () => {
      ctx.live.delete(stream);
      // Before the hand-over the SOCKET is the backend's to close; after it, Node's.
      if (!this.#adopted && this.#socket >= 0) ctx.lib.closesocket(this.#socket);
      this.#socket = -1;
    });
  }

  /** A new client socket: `WSASocketW` now, Node's TCP handle waiting unopened until connect. */
  static client(
    ctx: NativeContext,
    family: 'ipv4' | 'ipv6',
    highWaterMarks: { readableHighWaterMark?: number; writableHighWaterMark?: number } = {},
  ): NativeStreamDriver {
    const socket = createSocketHandle(ctx.lib, family, 'stream');
    let handle: TcpHandle;
    let stream: net.Socket;
    try {
      handle = newTcpHandle('socket');
      stream = socketOnUnconnectedHandle(handle, highWaterMarks);
    } catch (error) {
      ctx.lib.closesocket(socket);
      throw toSecureSocketError(error, 'WSASocketW');
    }
    const driver = new NativeStreamDriver(ctx, socket, handle, stream, false);
    // Writes made before the connection is established and verified are held, as net holds them.
    driver.#releaseWrites = holdWritesUntilConnect(stream);
    driver.#deferHandleOptions();
    return driver;
  }

  /** Lets the held writes go (on the next `'connect'`): called once the connection is verified. */
  #releaseWrites: (() => void) | undefined;

  /** What `setKeepAlive` / `setNoDelay` asked before the handle held the SOCKET, in order. */
  #deferred: (() => void)[] | undefined;

  /**
   * Keeps `setKeepAlive` / `setNoDelay` calls made before connect and applies them once Node's
   * handle holds the SOCKET, as net applies them to a socket without a handle yet. Given to the
   * unopened libuv handle, a keep-alive is applied by the open itself, which then fails if the
   * platform refuses the option (Wine refuses keep-alive delays) — where net, once connected,
   * ignores such a refusal.
   */
  #deferHandleOptions(): void {
    const stream = this.stream;
    const deferred: (() => void)[] = [];
    this.#deferred = deferred;
    const own = { setKeepAlive: stream.setKeepAlive, setNoDelay: stream.setNoDelay };
    for (const name of ['setKeepAlive', 'setNoDelay'] as const) {
      Object.defineProperty(stream, name, {
        configurable: true,
        writable: true,
        value(this: net.Socket, ...args: unknown[]) {
          deferred.push(() => (own[name] as (...a: unknown[]) => unknown).apply(stream, args));
          return this;
        },
      });
    }
  }

  /** Applies the deferred handle options now that the handle holds the SOCKET (refusals ignored, as net). */
  #applyDeferred(): void {
    const deferred = this.#deferred;
    if (!deferred) return;
    this.#deferred = undefined;
    const stream = this.stream as unknown as Record<string, unknown>;
    delete stream.setKeepAlive;
    delete stream.setNoDelay;
    for (const apply of deferred) {
      try {
        apply();
      } catch (error) {
        debug('a socket option set before connect was refused: %s', (error as Error).message);
      }
    }
  }

  /** A connection a server accepted and already handed to Node. */
  static accepted(
    ctx: NativeContext,
    socket: number,
    handle: TcpHandle,
    stream: net.Socket,
  ): NativeStreamDriver {
    return new NativeStreamDriver(ctx, socket, handle, stream, true);
  }

  #live(syscall: string): number {
    if (this.#socket < 0 || this.stream.destroyed) {
      throw new SecureSocketError('WSAENOTSOCK', `${syscall}: the socket is closed`, { syscall });
    }
    return this.#socket;
  }

  #beforeConnect(syscall: string): number {
    const s = this.#live(syscall);
    if (this.#adopted) {
      throw new SecureSocketError('WSAEISCONN', `${syscall}: the socket is already connected`, { syscall });
    }
    return s;
  }

  setSecurity(settings: NormalizedSecuritySettings): void {
    setSocketSecurity(this.#ctx.lib, this.#beforeConnect('WSASetSocketSecurity'), settings);
    this.#settings = settings;
  }

  setPeerTargetName(target: NormalizedPeerTargetName): void {
    const s = this.#beforeConnect('WSASetSocketPeerTargetName');
    setSocketPeerTargetName(this.#ctx.lib, s, target, this.#ctx.unit);
  }

  deletePeerTargetName(peer: NormalizedAddress): void {
    deleteSocketPeerTargetName(this.#ctx.lib, this.#live('WSADeleteSocketPeerTargetName'), peer);
  }

  connect(
    address: NormalizedAddress,
    target: NormalizedConnectTarget,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const syscall = 'WSAConnect';
    const s = this.#beforeConnect(syscall);
    const stream = this.stream;
    if (signal?.aborted) {
      stream.destroy();
      return Promise.reject(
        new SecureSocketError('ERR_WSASEC_ABORTED', `${syscall} was aborted`, {
          syscall,
          cause: signal.reason,
        }),
      );
    }
    const rc = this.#handle.open(s);
    if (rc !== 0) {
      this.#ctx.lib.closesocket(s);
      this.#socket = -1;
      stream.destroy();
      return Promise.reject(
        new SecureSocketError(
          'ERR_WSASEC_INTERNAL',
          `Node could not take over the SOCKET (${getSystemErrorName(rc)})`,
          {
            syscall,
          },
        ),
      );
    }
    this.#adopted = true;
    this.#applyDeferred();
    debug('SOCKET %d handed to Node, connecting to %s port %d', s, address.address, target.port);
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      // While connecting, Node's own 'connect' / 'ready' belong to core (emitted once the connection
      // is verified) and its 'error' is reported as a SecureSocketError: the stream's emit is routed
      // here until the connect settles.
      const emit = stream.emit as (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;
      // net emits 'ready' right after 'connect', in the same call: the route stays until then, or
      // the application would get net's 'ready' as well as core's (or one on a refused socket).
      let sawConnect = false;
      const restore = () => {
        if (stream.emit === routed) stream.emit = emit as typeof stream.emit;
      };
      const routed = function routedEmit(this: typeof stream, event: string | symbol, ...args: unknown[]) {
        if (event === 'connect') {
          sawConnect = true;
          onConnect();
          return true;
        }
        if (event === 'ready') {
          if (sawConnect) restore();
          return true;
        }
        if (event === 'error') {
          const error = SecureSocketError.isInstance(args[0])
            ? args[0]
            : withPeer(connectError(args[0] as Error));
          restore();
          const emitted = emit.call(this, 'error', error);
          fail(error);
          return emitted;
        }
        return emit.call(this, event, ...args);
      } as typeof stream.emit;
      stream.emit = routed;
      const withPeer = (error: SecureSocketError) =>
        error.address === undefined
          ? Object.assign(error, { address: address.address, port: target.port })
          : error;
      const connectError = (error: Error) => this.#connectError(error, syscall);
      const cleanup = () => {
        if (!sawConnect) restore();
        signal?.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
      };
      const fail = (error: SecureSocketError) => {
        cleanup();
        // Destroyed with the error, so 'error' then 'close' reach the application as net has them.
        if (!stream.destroyed) stream.destroy(withPeer(error));
        reject(error);
      };
      const onConnect = () => {
        // Fail closed: data may only flow on the SOCKET that carries the security settings.
        if (handleOf(stream) !== this.#handle) {
          fail(
            new SecureSocketError(
              'ERR_WSASEC_INTERNAL',
              'the connection does not run on the secured SOCKET (Node replaced its handle); it was destroyed',
              { syscall },
            ),
          );
          return;
        }
        const refused = this.#verify(s);
        if (refused) {
          fail(refused);
          return;
        }
        cleanup();
        // Core emits 'connect' once this resolves: the held writes go out then.
        this.#releaseWrites?.();
        this.#releaseWrites = undefined;
        resolve();
      };
      const onAbort = () =>
        fail(
          new SecureSocketError('ERR_WSASEC_ABORTED', `${syscall} was aborted`, {
            syscall,
            cause: signal?.reason,
          }),
        );
      signal?.addEventListener('abort', onAbort, { once: true });
      if (target.timeout) {
        timer = setTimeout(
          () =>
            fail(
              new SecureSocketError('WSAETIMEDOUT', `${syscall} timed out after ${target.timeout} ms`, {
                syscall,
              }),
            ),
          target.timeout,
        );
      }
      connectOnHandle(stream, address.address, target.port, address.family === 'ipv4' ? 4 : 6, {
        ...(target.localAddress !== undefined ? { localAddress: target.localAddress } : {}),
        ...(target.localPort !== undefined ? { localPort: target.localPort } : {}),
      });
    });
  }

  /** Fail closed when the connection's query contradicts the settings (see `admissionFailure`). */
  #verify(s: number): SecureSocketError | undefined {
    if (!this.#ctx.verifyConnections || !this.#settings) return undefined;
    let reason: string | undefined;
    let cause: unknown;
    try {
      const info = querySocketSecurity(
        this.#ctx.lib,
        s,
        { protocol: 0, tokenAccess: 0 },
        this.#ctx.maxQueryInfoSize,
      );
      reason = admissionFailure(this.#settings, info.flags);
    } catch (error) {
      reason = 'querying the new connection failed';
      cause = error;
    }
    if (!reason) return undefined;
    debug('refused connected SOCKET %d: %s', s, reason);
    return new SecureSocketError(
      'ERR_WSASEC_NEGOTIATION_FAILED',
      `${reason}; it was closed before any data was sent`,
      {
        syscall: 'WSAConnect',
        cause,
      },
    );
  }

  #connectError(error: Error, syscall: string): SecureSocketError {
    const code = (error as { code?: unknown }).code;
    if (this.#settings && code === 'UNKNOWN') {
      // libuv has no name for ERROR_IPSEC_IKE_* errors: on a secured socket that is what they are.
      return new SecureSocketError(
        'ERR_WSASEC_NEGOTIATION_FAILED',
        `${syscall} failed with an error libuv does not know; on a secured socket this is an IPsec negotiation failure`,
        { syscall, cause: error },
      );
    }
    return toSecureSocketError(error, syscall);
  }

  querySecurity(query: NormalizedQuery): SecurityInfo {
    return querySecurityInfo(this.#ctx, this.#live('WSAQuerySocketSecurity'), query);
  }

  /**
   * The advanced sample's `MatchIPsecSAsForConnectedSocket`: an IPSEC2 query for the SA ids (no
   * tokens), then the SAs looked up in a WFP session of its own.
   */
  securityAssociations(): SecurityAssociations {
    const info = querySecurityInfo(this.#ctx, this.#live('WSAQuerySocketSecurity'), {
      protocol: 2,
      tokenAccess: 0,
      ipsec2: { fieldMask: 0, abortOnFieldChange: false },
    });
    info.close();
    return lookupSecurityAssociations(
      { mmSaId: info.mmSaId ?? 0n, qmSaId: info.qmSaId ?? 0n },
      this.stream,
      this.#ctx.wfp,
    );
  }

  impersonatePeer<T>(fn: () => T, peer: NormalizedAddress | undefined): T {
    return impersonatePeerOn(this.#ctx, this.#live('WSAImpersonateSocketPeer'), fn, peer);
  }
}
