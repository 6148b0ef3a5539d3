import { isIP } from 'node:net';
import type { SecureSocket } from '../contract/backend.js';
import type {
  PeerTargetName,
  QueryOptions,
  SecurityAssociations,
  SecurityInfo,
  SecuritySettings,
  SocketAddress,
} from '../contract/types.js';
import type { SocketDriver } from '../driver/driver.js';
import { SecureSocketError } from '../errors/errors.js';
import { badPort, describeReceived, invalidArgType, netPort } from '../errors/node-args.js';
import { toSecureSocketError } from '../errors/node-errors.js';
import type { NormalizedAddress, NormalizedSecuritySettings } from '../validate/normalized.js';
import {
  checkSignal,
  normalizeAddress,
  normalizeConnectTarget,
  normalizePeerTargetName,
  normalizeQuery,
  normalizeSecuritySettings,
} from '../validate/validate.js';
import { rejectThenable } from './impersonation.js';

/**
 * The phases of core's call-order state machine. Stream sockets go `created → connecting →
 * connected → closed`; datagram sockets go `created → bound → closed`.
 */
export type SocketPhase = 'created' | 'connecting' | 'connected' | 'bound' | 'closed';

/** What core knows of a socket; read it with {@link socketState}. */
export interface SocketState {
  readonly phase: SocketPhase;
  readonly type: 'stream' | 'dgram';
  readonly family: 'ipv4' | 'ipv6';
  /** The settings applied by setSecurity (or inherited from the listener), if any. */
  readonly security: NormalizedSecuritySettings | undefined;
  /** Target names set, keyed by peer (`'*'` for a stream socket's single name). */
  readonly targetNames: ReadonlyMap<string, string>;
  /** Datagram sockets: the peers sent to so far (keyed like `targetNames`). */
  readonly sentTo?: ReadonlySet<string>;
}

interface MutableState {
  phase: SocketPhase;
  type: 'stream' | 'dgram';
  family: 'ipv4' | 'ipv6';
  security: NormalizedSecuritySettings | undefined;
  targetNames: Map<string, string>;
}

const STATE = Symbol.for('wsasec.socketState');
const CONNECT = Symbol('wsasec.connect');

/** One connect, as core's connect paths hand it to the guard. */
interface ConnectTarget {
  host: string;
  port: number;
  signal?: AbortSignal;
  timeout?: number;
  localAddress?: string;
  localPort?: number;
}

/**
 * Connects a guarded socket and settles with the connect, `timeout` bounding the whole connect
 * (negotiation included): what `backend.connect` uses. An `'error'` is reported through the
 * rejection only.
 */
export function connectGuarded(socket: SecureSocket, target: ConnectTarget): Promise<void> {
  const connect = (socket as unknown as Record<symbol, typeof connectGuarded | undefined>)[CONNECT] as
    | ((t: typeof target) => Promise<void>)
    | undefined;
  if (!connect) {
    return Promise.reject(
      new SecureSocketError(
        'ERR_WSASEC_INVALID_ARGUMENT',
        'connectGuarded needs a socket created by a backend',
      ),
    );
  }
  return connect(target);
}

/** The call-order state of a `SecureSocket` (undefined for anything else). */
export function socketState(socket: unknown): SocketState | undefined {
  if (typeof socket !== 'object' || socket === null) return undefined;
  return (socket as { [STATE]?: SocketState })[STATE];
}

function peerKey(peer: NormalizedAddress | undefined): string {
  return peer ? `${peer.family}|${peer.address}|${peer.port}` : '*';
}

function isZeroAddress(peer: NormalizedAddress): boolean {
  return peer.port === 0 && (peer.address === '0.0.0.0' || peer.address === '::');
}

/** Options for {@link guardSocket}. */
export interface GuardOptions {
  type: 'stream' | 'dgram';
  family: 'ipv4' | 'ipv6';
  backendName: string;
  /** Accepted sockets start connected, with the listener's settings. */
  accepted?: { security: NormalizedSecuritySettings };
  /** Resolves a host for `connect` to one address of the socket's family. */
  resolveOne(host: string, family: 'ipv4' | 'ipv6'): Promise<NormalizedAddress>;
  /**
   * The socket's own signal (`createSocket({ signal })`), which destroys the stream on abort. A
   * connect given the same signal adds no listener of its own: as net's, whose `connect(options)`
   * leaves `options.signal` to the socket (`net.connect({ signal })` passes it to both).
   */
  signal?: AbortSignal;
}

/**
 * Puts core's call-order rules around a driver and returns its stream as a `SecureSocket`.
 * Every rule is checked before anything is changed, so a rejected call leaves the socket as it was.
 */
export function guardSocket(driver: SocketDriver, opts: GuardOptions): SecureSocket {
  const stream = driver.stream as SecureSocket;
  const state: MutableState = {
    phase: opts.accepted ? 'connected' : 'created',
    type: opts.type,
    family: opts.family,
    security: opts.accepted?.security,
    targetNames: new Map(),
  };
  let secured = opts.accepted !== undefined;
  const markClosed = () => {
    state.phase = 'closed';
  };
  stream.once('close', markClosed);
  const live = (syscall: string) => {
    if (state.phase === 'closed' || stream.destroyed) {
      state.phase = 'closed';
      throw new SecureSocketError('WSAENOTSOCK', `${syscall}: the socket is closed`, { syscall });
    }
  };
  const protocol = () => state.security?.protocol ?? 0;
  const checkFamily = (peer: NormalizedAddress, syscall: string) => {
    if (peer.family !== state.family) {
      throw new SecureSocketError(
        'WSAEAFNOSUPPORT',
        `${syscall}: the peer address is ${peer.family} but the socket is ${state.family}`,
        { syscall },
      );
    }
  };

  /**
   * The address a connect goes to. A host name is resolved as net resolves it for a socket of one
   * family — with `lookup` (net's `options.lookup`: `lookup(host, { family, hints }, cb)`) when
   * given, else by the backend — and `'lookup'` is emitted as net emits it: `(err, address,
   * family, host)`. An IP literal is not looked up and emits nothing.
   */
  const resolveTarget = async (host: string, lookup: NetLookup | undefined): Promise<NormalizedAddress> => {
    if (isIP(host) !== 0) return opts.resolveOne(host, state.family);
    const family = state.family === 'ipv6' ? 6 : 4;
    let emitted = false;
    const emitLookup = (error: unknown, address?: string, addressFamily?: unknown) => {
      emitted = true;
      stream.emit('lookup', error, address, addressFamily, host);
    };
    try {
      if (!lookup) {
        const address = await opts.resolveOne(host, state.family);
        emitLookup(null, address.address, address.family === 'ipv6' ? 6 : 4);
        return address;
      }
      const [ip, addressFamily] = await new Promise<[unknown, unknown]>((resolve, reject) => {
        lookup(host, { family, hints: 0 }, (error, ip, addressFamily) => {
          if (error) reject(error);
          else resolve([ip, addressFamily]);
        });
      });
      emitLookup(null, ip as string, addressFamily);
      if (typeof ip !== 'string' || isIP(ip) === 0)
        throw new SecureSocketError(
          'ERR_INVALID_IP_ADDRESS',
          `Invalid IP address: ${String(ip)} (options.lookup must call back with an IP literal)`,
          { syscall: 'WSAConnect' },
        );
      return normalizeAddress({ address: ip }, 'host', 'WSAConnect');
    } catch (error) {
      if (!emitted) emitLookup(error);
      throw error;
    }
  };

  /**
   * Validates synchronously (throws), then connects; the Promise settles with the connect.
   * `viaEvents` (net's forms): the outcome is reported as net reports it — `'connect'`/`'ready'`, or
   * `'error'` then `'close'`; a `destroy()` while connecting cancels the negotiation and emits only
   * `'close'`; an abort through the signal fails with an `AbortError`.
   */
  const connectTarget = (
    target: ConnectTarget & { lookup?: NetLookup },
    viaEvents: boolean,
  ): Promise<void> => {
    const syscall = 'WSAConnect';
    live(syscall);
    if (state.phase === 'connected')
      throw new SecureSocketError('WSAEISCONN', 'WSAConnect: the socket is already connected', { syscall });
    if (state.phase === 'connecting')
      throw new SecureSocketError('WSAEALREADY', 'WSAConnect: a connect is already in progress', {
        syscall,
      });
    if (state.type === 'dgram') {
      throw new SecureSocketError(
        'WSAEOPNOTSUPP',
        'WSAConnect: datagram sockets send to a peer address instead of connecting',
        { syscall },
      );
    }
    const { addressError, ...normalized } = normalizeConnectTarget(target, syscall, {
      deferAddress: viaEvents,
    });
    if (
      normalized.localAddress !== undefined &&
      isIP(normalized.localAddress) !== (state.family === 'ipv6' ? 6 : 4)
    )
      throw new SecureSocketError(
        'WSAEAFNOSUPPORT',
        `WSAConnect: localAddress ${normalized.localAddress} is not of the socket's family (${state.family === 'ipv6' ? 'IPv6' : 'IPv4'})`,
        { syscall },
      );
    const given = checkSignal((target as { signal?: unknown }).signal, syscall);
    const signal = given === opts.signal ? undefined : given;
    const aborted = (reason: unknown) =>
      new SecureSocketError('ERR_WSASEC_ABORTED', 'WSAConnect was aborted', {
        syscall,
        cause: reason,
        address: normalized.host,
        port: normalized.port,
      });
    if (signal?.aborted && !viaEvents)
      throw new SecureSocketError('ERR_WSASEC_ABORTED', 'WSAConnect: the signal was already aborted', {
        syscall,
        cause: signal.reason,
      });
    state.phase = 'connecting';
    // The driver sees core's own signal: aborted by the caller's signal (one listener on it, added
    // now, as net adds its own), or by a destroy() while the negotiation runs.
    const cancel = new AbortController();
    let failure: SecureSocketError | undefined;
    let destroyedByUser = false;
    const onAbort = () => {
      failure ??= aborted(signal?.reason);
      cancel.abort(failure);
    };
    let settled = false;
    let failureFromStream = false;
    const onClose = () => {
      if (settled) return;
      if (failure === undefined) {
        if (stream.errored) {
          // The driver (or the caller, with destroy(error)) failed the stream: that error was
          // emitted already, and the driver's rejection says why.
          failure = toSecureSocketError(stream.errored, syscall);
          failureFromStream = true;
        } else {
          destroyedByUser = true;
          failure = new SecureSocketError(
            'WSAENOTSOCK',
            'WSAConnect: the socket was destroyed while connecting',
            {
              syscall,
            },
          );
        }
      }
      cancel.abort(failure);
    };
    // Already aborted: fail without asking the driver (the error is emitted on a later tick).
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    stream.once('close', onClose);
    // Legacy Promise form: an 'error' the driver emits while failing the connect is reported
    // through the rejection, never as an uncaught event. The net forms report it as net does.
    const swallow = () => {};
    if (!viaEvents) stream.on('error', swallow);
    const settle = () => {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      stream.removeListener('close', onClose);
    };
    // A driver need not honour the signal at once: core stops waiting for it when it fires.
    const cancelled = new Promise<never>((_resolve, reject) => {
      cancel.signal.addEventListener('abort', () => reject(failure), { once: true });
    });
    cancelled.catch(() => {});
    return (async () => {
      try {
        if (cancel.signal.aborted) throw failure;
        if (addressError) {
          // As net, whose lookup or connect fails after connect() returned: 'error', then 'close'.
          await undefined;
          throw addressError;
        }
        const address = await resolveTarget(normalized.host, target.lookup);
        checkFamily(address, syscall);
        if (cancel.signal.aborted) throw failure;
        live(syscall);
        await Promise.race([driver.connect(address, normalized, cancel.signal), cancelled]);
        if (cancel.signal.aborted) throw failure;
        live(syscall);
        state.phase = 'connected';
        settle();
      } catch (error) {
        // A destroy() whose 'close' has not come yet (net emits it a turn later) is read now: the
        // caller's destroy() emits no 'error', whatever step of the connect noticed it.
        if (failure === undefined && stream.destroyed) onClose();
        settle();
        // Whichever settled first says why: core's own cancel (an abort, a destroy), or the driver.
        const cancelledFirst =
          failure !== undefined && (error === failure || destroyedByUser) && !failureFromStream;
        if (!cancelledFirst) destroyedByUser = false;
        let reported = cancelledFirst ? (failure as SecureSocketError) : toSecureSocketError(error, syscall);
        if (reported.address === undefined) {
          Object.assign(reported, { address: normalized.host, port: normalized.port });
        }
        if (reported.code === 'ERR_WSASEC_ABORTED' && failure === undefined && signal?.aborted)
          reported = aborted(signal.reason);
        // Fail closed: a socket whose connect failed is never usable in clear text.
        state.phase = 'closed';
        if (viaEvents) {
          // As net: 'error', then 'close' — except after the caller's own destroy(), which emits
          // only 'close'.
          if (!stream.destroyed) stream.destroy(reported);
          else if (!destroyedByUser && !stream.errored) stream.emit('error', reported);
        } else if (!stream.destroyed) {
          // The listener stays: a stream destroyed with an error emits it on a later tick.
          stream.destroy();
        }
        throw reported;
      }
      stream.removeListener('error', swallow);
      stream.emit('connect');
      stream.emit('ready');
    })();
  };

  const methods = {
    setSecurity(settings?: SecuritySettings): void {
      const syscall = 'WSASetSocketSecurity';
      live(syscall);
      if (state.phase === 'connected') {
        throw new SecureSocketError(
          'WSAEISCONN',
          'WSASetSocketSecurity: the socket is already connected; set security before connect',
          { syscall },
        );
      }
      if (state.phase === 'connecting') {
        throw new SecureSocketError(
          'WSAEINVAL',
          'WSASetSocketSecurity: connect has already started; set security before connect',
          { syscall },
        );
      }
      if (secured) {
        throw new SecureSocketError(
          'WSAEINVAL',
          'WSASetSocketSecurity: security is set once per socket and was already set',
          { syscall },
        );
      }
      const normalized = normalizeSecuritySettings(settings, syscall);
      driver.setSecurity(normalized);
      secured = true;
      state.security = normalized;
    },

    setPeerTargetName(target: string | PeerTargetName): void {
      const syscall = 'WSASetSocketPeerTargetName';
      live(syscall);
      if (state.phase === 'connected') {
        throw new SecureSocketError(
          'WSAEISCONN',
          'WSASetSocketPeerTargetName: the socket is already connected; set the target name before connect',
          { syscall },
        );
      }
      if (state.phase === 'connecting') {
        throw new SecureSocketError(
          'WSAEINVAL',
          'WSASetSocketPeerTargetName: connect has already started; set the target name before connect',
          { syscall },
        );
      }
      const normalized = normalizePeerTargetName(target, protocol(), syscall);
      if (normalized.peerAddress) checkFamily(normalized.peerAddress, syscall);
      if (state.type === 'dgram' && (!normalized.peerAddress || isZeroAddress(normalized.peerAddress))) {
        throw new SecureSocketError(
          'WSAEINVAL',
          'WSASetSocketPeerTargetName: a datagram socket needs a peerAddress with a non-zero IP address or port',
          { syscall },
        );
      }
      driver.setPeerTargetName(normalized);
      state.targetNames.set(state.type === 'stream' ? '*' : peerKey(normalized.peerAddress), normalized.name);
    },

    deletePeerTargetName(peerAddress: SocketAddress): void {
      const syscall = 'WSADeleteSocketPeerTargetName';
      live(syscall);
      const peer = normalizeAddress(peerAddress, 'peerAddress', syscall);
      checkFamily(peer, syscall);
      driver.deletePeerTargetName(peer);
      state.targetNames.delete(state.type === 'stream' ? '*' : peerKey(peer));
    },

    /**
     * Every form of `net.Socket.connect`: `connect(port, host?, cb?)` and `connect(options, cb?)`
     * return the socket at once and report through `'connect'`, `'ready'` and `'error'` (then
     * `'close'`), as net does; `options.timeout` calls `setTimeout` (net's meaning). Await it with
     * `events.once(socket.connect(port, host), 'connect')`, or use `backend.connect(options)`.
     * @throws SecureSocketError `ERR_INVALID_ARG_TYPE` / `ERR_SOCKET_BAD_PORT` (bad port, as net),
     *   `WSAEOPNOTSUPP` (a pipe path), `WSAEISCONN`, `WSAEALREADY`, `WSAENOTSOCK`.
     */
    // biome-ignore lint/suspicious/noExplicitAny: the overloads of net.Socket.connect
    connect(...args: any[]): any {
      const { target, callback, timeout } = parseConnectArgs(args, state.family);
      live('WSAConnect');
      const setTimeout = (stream as unknown as { setTimeout?: (ms: number) => void }).setTimeout;
      if (timeout !== undefined && typeof setTimeout === 'function') setTimeout.call(stream, timeout);
      const promise = connectTarget(target, true);
      if (callback) stream.once('connect', callback);
      promise.then(
        () => {},
        () => {},
      );
      return stream;
    },
    querySecurity(query?: QueryOptions): SecurityInfo {
      const syscall = 'WSAQuerySocketSecurity';
      live(syscall);
      const normalized = normalizeQuery(query, protocol(), syscall);
      if (state.type === 'dgram') {
        if (!normalized.peerAddress) {
          throw new SecureSocketError(
            'WSAEMSGSIZE',
            'WSAQuerySocketSecurity: a datagram socket needs peerAddress (the template is required)',
            { syscall },
          );
        }
        checkFamily(normalized.peerAddress, syscall);
        if (isZeroAddress(normalized.peerAddress)) {
          throw new SecureSocketError(
            'WSAEINVAL',
            'WSAQuerySocketSecurity: peerAddress must have a non-zero IP address or port',
            { syscall },
          );
        }
      } else if (state.phase !== 'connected') {
        throw new SecureSocketError(
          'WSAENOTCONN',
          'WSAQuerySocketSecurity: the socket is not connected; query after connect or accept',
          { syscall },
        );
      }
      return driver.querySecurity(normalized);
    },

    querySecurityAssociations(): SecurityAssociations {
      const syscall = 'IPsecSaContextEnum0';
      live(syscall);
      if (state.type === 'dgram' || state.phase !== 'connected') {
        throw new SecureSocketError(
          state.type === 'dgram' ? 'WSAEOPNOTSUPP' : 'WSAENOTCONN',
          state.type === 'dgram'
            ? 'querySecurityAssociations: a datagram socket has one SA per peer; look SAs up on a stream socket'
            : 'querySecurityAssociations: the socket is not connected; look its SAs up after connect or accept',
          { syscall },
        );
      }
      if (!driver.securityAssociations) {
        throw new SecureSocketError(
          'WSAEOPNOTSUPP',
          `querySecurityAssociations: the ${opts.backendName} backend cannot look IPsec SAs up`,
          { syscall },
        );
      }
      return driver.securityAssociations();
    },

    impersonatePeer<T>(fn: () => T, peerAddress?: SocketAddress): T {
      const syscall = 'WSAImpersonateSocketPeer';
      if (typeof fn !== 'function') {
        throw new SecureSocketError(
          'ERR_WSASEC_INVALID_ARGUMENT',
          'impersonatePeer needs a synchronous function to run as the peer',
          { syscall },
        );
      }
      live(syscall);
      let peer: NormalizedAddress | undefined;
      if (state.type === 'dgram') {
        if (peerAddress === undefined) {
          throw new SecureSocketError(
            'WSAEFAULT',
            'WSAImpersonateSocketPeer: a datagram socket needs the peer address',
            { syscall },
          );
        }
        peer = normalizeAddress(peerAddress, 'peerAddress', syscall);
        checkFamily(peer, syscall);
      } else if (state.phase !== 'connected') {
        throw new SecureSocketError('WSAENOTCONN', 'WSAImpersonateSocketPeer: the socket is not connected', {
          syscall,
        });
      }
      return rejectThenable(driver.impersonatePeer(fn, peer), syscall);
    },
  };

  Object.defineProperty(stream, CONNECT, {
    value: (target: ConnectTarget) => {
      try {
        return connectTarget(target, false);
      } catch (error) {
        return Promise.reject(error);
      }
    },
  });
  for (const [name, value] of Object.entries(methods)) {
    Object.defineProperty(stream, name, { value, configurable: true, writable: true, enumerable: false });
  }
  // As net.Socket: `connecting` is true from the call of connect() (name resolution and the
  // negotiation included) until 'connect', the failure or destroy() (net's _destroy clears it at
  // once, and net's own deferred connect reads it to know it was cancelled). A driver's own flag
  // (net.Socket writes one) is kept and still read outside core's connect.
  const ownConnecting = Object.getOwnPropertyDescriptor(stream, 'connecting');
  let driverConnecting: boolean | undefined =
    ownConnecting && 'value' in ownConnecting ? Boolean(ownConnecting.value) : undefined;
  const prototype = Object.getPrototypeOf(stream) as object;
  Object.defineProperty(stream, 'connecting', {
    configurable: true,
    enumerable: ownConnecting?.enumerable ?? false,
    get: () =>
      !stream.destroyed &&
      (state.phase === 'connecting' ||
        (driverConnecting ?? Boolean(Reflect.get(prototype, 'connecting', stream)))),
    set: (value: unknown) => {
      driverConnecting = Boolean(value);
    },
  });
  // As net.Socket's `pending` (`!this._handle || this.connecting`) and `readyState`, from core's
  // phase on every backend: pending until connected, and again from destroy() on (net drops its
  // handle in _destroy); a driver's stream may hold a handle before connect, which net's does not.
  const connecting = () => (stream as { connecting: boolean }).connecting;
  Object.defineProperties(stream, {
    pending: {
      configurable: true,
      get: () => stream.destroyed || state.phase !== 'connected' || connecting(),
    },
    readyState: {
      configurable: true,
      get: () => {
        if (connecting()) return 'opening';
        if (stream.readable && stream.writable) return 'open';
        if (stream.readable) return 'readOnly';
        if (stream.writable) return 'writeOnly';
        return 'closed';
      },
    },
    socketType: { value: opts.type, enumerable: true },
    family: { value: opts.family, enumerable: true, configurable: true },
    backendName: { value: opts.backendName, enumerable: true },
    [STATE]: { value: state as SocketState },
  });
  return stream;
}

/** A Node argument error (net's own codes and names), as a SecureSocketError. */
function argError(
  code: 'ERR_INVALID_ARG_TYPE' | 'ERR_SOCKET_BAD_PORT' | 'ERR_MISSING_ARGS',
  message: string,
): SecureSocketError {
  return new SecureSocketError(code, message, { syscall: 'WSAConnect' });
}

/**
 * net's connect port rule, in both call forms: a number or a string (else `ERR_INVALID_ARG_TYPE`
 * naming `options.port`), in range (else `ERR_SOCKET_BAD_PORT`, `Port should be …`), net's messages.
 */
function checkPort(port: unknown): number {
  if (typeof port !== 'number' && typeof port !== 'string') {
    throw argError(
      'ERR_INVALID_ARG_TYPE',
      `The "options.port" property must be one of type number or string. Received ${describeReceived(port)}`,
    );
  }
  const n = netPort(port);
  if (n === undefined) throw badPort('Port', port, 'WSAConnect');
  return n;
}

/**
 * `options.localAddress` / `options.localPort` as net checks them, before the port: an address
 * that is not an IP is `ERR_INVALID_IP_ADDRESS`, a port that is not a number `ERR_INVALID_ARG_TYPE`
 * (falsy values are left out, as net leaves them out). The range and the family are checked with
 * the rest of the target (`normalizeConnectTarget`).
 */
function localEndpoint(
  localAddress: unknown,
  localPort: unknown,
): { localAddress?: string; localPort?: number } {
  if (localAddress && (typeof localAddress !== 'string' || isIP(localAddress) === 0))
    throw new SecureSocketError('ERR_INVALID_IP_ADDRESS', `Invalid IP address: ${String(localAddress)}`, {
      syscall: 'WSAConnect',
    });
  if (localPort && typeof localPort !== 'number')
    throw invalidArgType('options.localPort', 'number', localPort, 'WSAConnect');
  return {
    ...(localAddress ? { localAddress: localAddress as string } : {}),
    ...(localPort ? { localPort: localPort as number } : {}),
  };
}

/** net's `options.lookup`: `dns.lookup`'s form, called for one address of the socket's family. */
type NetLookup = (
  hostname: string,
  options: { family: 4 | 6; hints: number },
  callback: (error: Error | null, address: string, family: number) => void,
) => void;

/** The positional and callback forms of `net.Socket.connect`, as one target. */
// biome-ignore lint/suspicious/noExplicitAny: the overloads of net.Socket.connect
function parseConnectArgs(args: any[], family: 'ipv4' | 'ipv6') {
  const rest = [...args];
  const callback = typeof rest[rest.length - 1] === 'function' ? (rest.pop() as () => void) : undefined;
  const [first, second] = rest;
  // As net: no port (and no path) at all is a missing argument, before any type check.
  const portless =
    first === undefined ||
    (typeof first === 'object' &&
      first !== null &&
      !Array.isArray(first) &&
      (first as { port?: unknown }).port === undefined &&
      ((first as { path?: unknown }).path === undefined || (first as { path?: unknown }).path === null));
  if (portless)
    throw argError('ERR_MISSING_ARGS', 'The "options" or "port" or "path" argument must be specified');
  const defaultHost = family === 'ipv6' ? '::1' : '127.0.0.1';
  let port: number;
  let host: unknown;
  let signal: AbortSignal | undefined;
  let timeout: number | undefined;
  let lookup: NetLookup | undefined;
  let local: { localAddress?: string; localPort?: number } = {};
  if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
    if ('path' in first && first.path !== undefined)
      throw new SecureSocketError(
        'WSAEOPNOTSUPP',
        'WSAConnect: pipes and Unix domain sockets (path) are not supported; IPsec secures TCP only — give { port, host }',
        { syscall: 'WSAConnect' },
      );
    const o = first as {
      port?: unknown;
      host?: unknown;
      signal?: AbortSignal;
      timeout?: unknown;
      lookup?: unknown;
      localAddress?: unknown;
      localPort?: unknown;
    };
    local = localEndpoint(o.localAddress, o.localPort);
    port = checkPort(o.port);
    host = o.host;
    signal = o.signal;
    if (o.lookup !== undefined && o.lookup !== null) {
      if (typeof o.lookup !== 'function')
        throw argError(
          'ERR_INVALID_ARG_TYPE',
          `The "options.lookup" property must be of type function. Received ${describeReceived(o.lookup)}`,
        );
      lookup = o.lookup as NetLookup;
    }
    if (o.timeout !== undefined) {
      if (typeof o.timeout !== 'number' || !Number.isFinite(o.timeout) || o.timeout < 0)
        throw argError(
          'ERR_INVALID_ARG_TYPE',
          `The "options.timeout" property must be a number of milliseconds >= 0. Received ${describeReceived(o.timeout)}`,
        );
      timeout = o.timeout;
    }
  } else {
    // As net: a positional string that is not a number ≥ 0 is a pipe name.
    if (typeof first === 'string' && !(Number(first) >= 0))
      throw new SecureSocketError(
        'WSAEOPNOTSUPP',
        `WSAConnect: ${JSON.stringify(first)} is a pipe name to net; pipes are not supported (IPsec secures TCP only) — give a port and host`,
        { syscall: 'WSAConnect' },
      );
    port = checkPort(first);
    host = second;
  }
  if (host !== undefined && host !== null && typeof host !== 'string')
    throw argError(
      'ERR_INVALID_ARG_TYPE',
      `The "options.host" property must be of type string. Received ${describeReceived(host)}`,
    );
  return {
    target: {
      host: host === undefined || host === null || host === '' ? defaultHost : host,
      port,
      ...(signal !== undefined ? { signal } : {}),
      ...(lookup !== undefined ? { lookup } : {}),
      ...local,
    },
    ...(callback ? { callback } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
  };
}
