import type { SecureSocket } from '../contract/backend.js';
import type {
  PeerTargetName,
  QueryOptions,
  SecurityInfo,
  SecuritySettings,
  SocketAddress,
} from '../contract/types.js';
import type { SocketDriver } from '../driver/driver.js';
import { SecureSocketError } from '../errors/errors.js';
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

  /** Validates synchronously (throws), then connects; the Promise settles with the connect. */
  const connectTarget = (
    target: { host: string; port: number; signal?: AbortSignal; timeout?: number },
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
    const normalized = normalizeConnectTarget(target, syscall);
    const signal = checkSignal((target as { signal?: unknown }).signal, syscall);
    if (signal?.aborted)
      throw new SecureSocketError('ERR_WSASEC_ABORTED', 'WSAConnect: the signal was already aborted', {
        syscall,
        cause: signal.reason,
      });
    state.phase = 'connecting';
    // Legacy Promise form: an 'error' the driver emits while failing the connect is reported
    // through the rejection, never as an uncaught event. The net forms report it as net does.
    const swallow = () => {};
    if (!viaEvents) stream.on('error', swallow);
    return (async () => {
      try {
        const address = await opts.resolveOne(normalized.host, state.family);
        checkFamily(address, syscall);
        live(syscall);
        await driver.connect(address, normalized, signal);
        live(syscall);
        state.phase = 'connected';
      } catch (error) {
        const failure = toSecureSocketError(error, syscall);
        // Fail closed: a socket whose connect failed is never usable in clear text.
        state.phase = 'closed';
        if (viaEvents) {
          // As net: 'error', then 'close'.
          if (!stream.destroyed) stream.destroy(failure);
          else if (!stream.errored) stream.emit('error', failure);
        } else if (!stream.destroyed) {
          // The listener stays: a stream destroyed with an error emits it on a later tick.
          stream.destroy();
        }
        throw failure;
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
     * Every form of `net.Socket.connect`: `connect(port, host?, cb?)` and `connect(options, cb)`
     * return the socket and report through `'connect'`, `'ready'` and `'error'` (then `'close'`);
     * the legacy form `connect({ host, port, signal?, timeout? })` without a callback returns a
     * Promise (and still emits `'connect'` / `'ready'`).
     */
    // biome-ignore lint/suspicious/noExplicitAny: the overloads of net.Socket.connect
    connect(...args: any[]): any {
      if (isLegacyConnect(args)) {
        // Validation errors reject (never throw) in this form, as they always did.
        try {
          return connectTarget(args[0], false);
        } catch (error) {
          return Promise.reject(error);
        }
      }
      const { target, callback } = parseConnectArgs(args, state.family);
      if (callback) stream.once('connect', callback);
      connectTarget(target, true).then(
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

  for (const [name, value] of Object.entries(methods)) {
    Object.defineProperty(stream, name, { value, configurable: true, writable: true, enumerable: false });
  }
  Object.defineProperties(stream, {
    socketType: { value: opts.type, enumerable: true },
    family: { value: opts.family, enumerable: true, configurable: true },
    backendName: { value: opts.backendName, enumerable: true },
    [STATE]: { value: state as SocketState },
  });
  return stream;
}

/** The positional and callback forms of `net.Socket.connect`, as one target. */
// biome-ignore lint/suspicious/noExplicitAny: the overloads of net.Socket.connect
function parseConnectArgs(args: any[], family: 'ipv4' | 'ipv6') {
  const syscall = 'WSAConnect';
  const rest = [...args];
  const callback = typeof rest[rest.length - 1] === 'function' ? (rest.pop() as () => void) : undefined;
  const [first, second] = rest;
  const defaultHost = family === 'ipv6' ? '::1' : '127.0.0.1';
  let port: unknown;
  let host: unknown;
  let extra: { signal?: AbortSignal; timeout?: number } = {};
  if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
    if ('path' in first && first.path !== undefined)
      throw new SecureSocketError(
        'WSAEOPNOTSUPP',
        'WSAConnect: pipes and Unix domain sockets (path) are not supported; IPsec secures TCP only — give { port, host }',
        { syscall },
      );
    ({ port, host } = first as { port?: unknown; host?: unknown });
    const { signal, timeout } = first as { signal?: AbortSignal; timeout?: number };
    extra = { ...(signal !== undefined ? { signal } : {}), ...(timeout !== undefined ? { timeout } : {}) };
  } else {
    port = first;
    host = second;
  }
  if (typeof port === 'string' && /^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(port)) port = Number(port);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new SecureSocketError(
      'WSAEINVAL',
      `WSAConnect: port must be an integer from 1 to 65535 (or a string of one), got ${typeof port === 'number' || typeof port === 'string' ? JSON.stringify(port) : port === null ? 'null' : typeof port}`,
      { syscall },
    );
  return {
    target: { host: host === undefined || host === null ? defaultHost : (host as string), port, ...extra },
    ...(callback ? { callback } : {}),
  };
}

/**
 * The legacy Promise form: one argument that is neither a port (number or numeric string) nor an
 * options object without `host` (such as `server.address()`, which net connects to on localhost).
 */
function isLegacyConnect(args: unknown[]): boolean {
  if (args.length !== 1) return false;
  const [only] = args;
  if (typeof only === 'number' || typeof only === 'function') return false;
  if (typeof only === 'string' && /^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(only)) return false;
  if (typeof only === 'object' && only !== null && !Array.isArray(only) && !('host' in only)) return false;
  return true;
}
