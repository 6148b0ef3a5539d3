import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { addAbortSignal } from 'node:stream';
import type {
  PolicyRegistration,
  SecureDatagramSocket,
  SecureServer,
  SecureSocket,
  SecureSocketBackend,
} from '../contract/backend.js';
import type {
  AccessCheckResult,
  ConnectOptions,
  CreateSocketOptions,
  ListenOptions,
  PeerToken,
  ServerOptions,
} from '../contract/types.js';
import type { BackendDriver, ServerDriver, SocketDriver } from '../driver/driver.js';
import { SecureSocketError } from '../errors/errors.js';
import { badPort, describeReceived, invalidArgType, invalidArgValue, netPort } from '../errors/node-args.js';
import { toSecureSocketError } from '../errors/node-errors.js';
import { GuardedDatagramSocket } from '../guards/datagram.js';
import { applyOnRead, checkOnRead } from '../guards/onread.js';
import { connectGuarded, guardSocket, socketState } from '../guards/socket.js';
import type { NormalizedAddress, NormalizedSecuritySettings } from '../validate/normalized.js';
import { normalizePolicyDescription, type PolicyDescription } from '../validate/policy.js';
import {
  checkKeys,
  checkSignal,
  describeValue,
  isPlainObject,
  normalizeAccessMask,
  normalizeAddress,
  normalizeConnectTarget,
  normalizeFamily,
  normalizeHighWaterMarks,
  normalizePeerTargetName,
  normalizeSecuritySettings,
  normalizeSocketType,
} from '../validate/validate.js';
import { closeServer } from './promises.js';

/** Longest SDDL string accepted by `accessCheck` (characters). */
export const MAX_SDDL_LENGTH = 65_536;

/** The options `createSocket` takes (net.Socket's that apply to a secured socket). */
const CREATE_SOCKET_KEYS = [
  'family',
  'type',
  'allowHalfOpen',
  'highWaterMark',
  'readableHighWaterMark',
  'writableHighWaterMark',
  'signal',
  'onread',
];

/** net's refusal of the object modes (a socket carries bytes). */
function refuseObjectMode(opts: Record<string, unknown>, syscall: string): void {
  for (const key of ['objectMode', 'readableObjectMode', 'writableObjectMode'])
    if (opts[key]) throw invalidArgValue(`options.${key}`, opts[key], syscall, 'is not supported');
}

async function defaultResolve(
  host: string,
  family: 'ipv4' | 'ipv6' | undefined,
): Promise<NormalizedAddress[]> {
  const kind = isIP(host);
  if (kind !== 0) return [normalizeAddress({ address: host }, 'host', 'WSAConnect')];
  const found = await lookup(host, { all: true, family: family === 'ipv4' ? 4 : family === 'ipv6' ? 6 : 0 });
  return found.map((entry) => normalizeAddress({ address: entry.address }, 'host', 'WSAConnect'));
}

/**
 * Builds the public `SecureSocketBackend` from a driver: every input validated once, every call
 * order rule enforced once, for all backends alike.
 */
export function defineBackend(driver: BackendDriver): SecureSocketBackend {
  const resolveAll = async (
    host: string,
    family: 'ipv4' | 'ipv6' | undefined,
  ): Promise<NormalizedAddress[]> => {
    let addresses: NormalizedAddress[];
    try {
      // IP literals never go through a driver's resolver: the address tried is the one given.
      addresses =
        isIP(host) !== 0
          ? await defaultResolve(host, family)
          : await (driver.resolve ?? defaultResolve)(host, family);
    } catch (error) {
      throw toSecureSocketError(error, 'connect');
    }
    const matching = family ? addresses.filter((a) => a.family === family) : addresses;
    if (matching.length === 0) {
      throw new SecureSocketError(
        'WSAHOST_NOT_FOUND',
        `no ${family ?? 'IP'} address found for ${JSON.stringify(host)}`,
        { syscall: 'connect' },
      );
    }
    return matching;
  };
  const resolveOne = async (host: string, family: 'ipv4' | 'ipv6') => {
    const [first] = await resolveAll(host, family);
    return first as NormalizedAddress;
  };
  const servers = new Set<SecureServerImpl>();
  const registrations = new Set<PolicyRegistration>();
  let backendClosed = false;
  const datagrams = new Set<GuardedDatagramSocket>();

  const createDatagram = (family: 'ipv4' | 'ipv6'): SecureDatagramSocket => {
    const create = driver.createDatagramSocket?.bind(driver);
    if (!create) {
      throw new SecureSocketError(
        'WSAEOPNOTSUPP',
        `the ${driver.name} backend has no datagram sockets; create a stream socket (type: 'stream')`,
        { syscall: 'WSASocketW' },
      );
    }
    const socket = new GuardedDatagramSocket(family, driver.name, (events) => create({ family }, events));
    datagrams.add(socket);
    socket.once('close', () => datagrams.delete(socket));
    return socket;
  };

  function createSocket(opts: CreateSocketOptions & { type: 'dgram' }): SecureDatagramSocket;
  function createSocket(opts?: CreateSocketOptions & { type?: 'stream' }): SecureSocket;
  function createSocket(opts?: CreateSocketOptions): SecureSocket | SecureDatagramSocket;
  function createSocket(opts?: CreateSocketOptions): SecureSocket | SecureDatagramSocket {
    const syscall = 'WSASocketW';
    if (opts !== undefined && !isPlainObject(opts)) {
      throw new SecureSocketError(
        'WSAEINVAL',
        `createSocket options must be { family?, type?, allowHalfOpen?, highWaterMark?, readableHighWaterMark?, writableHighWaterMark?, signal? }, got ${describeValue(opts)}`,
        { syscall },
      );
    }
    if (opts) {
      refuseObjectMode(opts as Record<string, unknown>, syscall);
      checkKeys(opts, CREATE_SOCKET_KEYS, 'createSocket options', syscall);
    }
    const onread = checkOnRead(opts?.onread, syscall);
    const family = normalizeFamily(opts?.family, syscall);
    const type = normalizeSocketType(opts?.type, syscall);
    const allowHalfOpen = opts?.allowHalfOpen;
    if (allowHalfOpen !== undefined && typeof allowHalfOpen !== 'boolean') {
      throw invalidArgType('options.allowHalfOpen', 'boolean', allowHalfOpen, syscall);
    }
    const highWaterMarks = opts ? normalizeHighWaterMarks(opts, syscall) : {};
    const signal = opts?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new SecureSocketError(
        'ERR_INVALID_ARG_TYPE',
        `The "options.signal" property must be an instance of AbortSignal. Received ${describeReceived(signal)}`,
        { syscall },
      );
    }
    if (type === 'dgram') {
      if (allowHalfOpen !== undefined) {
        throw new SecureSocketError(
          'WSAEINVAL',
          'createSocket: allowHalfOpen applies to stream sockets only (a datagram socket has no half-close)',
          { syscall },
        );
      }
      if (onread) {
        throw new SecureSocketError(
          'WSAEINVAL',
          'createSocket: onread applies to stream sockets only (a datagram socket delivers messages)',
          { syscall },
        );
      }
      if (Object.keys(highWaterMarks).length > 0) {
        throw new SecureSocketError(
          'WSAEINVAL',
          'createSocket: highWaterMark, readableHighWaterMark and writableHighWaterMark apply to stream sockets only (a datagram socket is not a stream)',
          { syscall },
        );
      }
      const datagram = createDatagram(family);
      if (signal) closeOnAbort(datagram, signal);
      return datagram;
    }
    const socketDriver = driver.createSocket({ family, type, ...highWaterMarks });
    // The Duplex decides at its 'end' whether to end its own side (drivers default to false, as net).
    if (allowHalfOpen !== undefined) socketDriver.stream.allowHalfOpen = allowHalfOpen;
    const socket = guardSocket(socketDriver, {
      type,
      family,
      backendName: driver.name,
      resolveOne,
      ...(signal ? { signal } : {}),
    });
    // net's own: destroy(new AbortError(undefined, { cause: signal.reason })), listener removed at close.
    if (signal) addAbortSignal(signal, socket);
    if (onread) applyOnRead(socket, onread);
    return socket;
  }

  const backend: SecureSocketBackend = {
    specificationVersion: 'v1',
    name: driver.name,
    createSocket,

    async connect(opts: ConnectOptions): Promise<SecureSocket> {
      const syscall = 'connect';
      if (!isPlainObject(opts)) {
        throw new SecureSocketError(
          'WSAEFAULT',
          `connect needs { host, port, security?, peerTargetName?, signal?, timeout?, family?, localAddress?, localPort? }, got ${describeValue(opts)}`,
          { syscall },
        );
      }
      checkKeys(
        opts,
        [
          'host',
          'port',
          'family',
          'security',
          'peerTargetName',
          'signal',
          'timeout',
          'localAddress',
          'localPort',
        ],
        'connect options',
        syscall,
      );
      // Validate everything before touching the network, so bad input never half-connects.
      const settings = normalizeSecuritySettings(opts.security);
      if (opts.peerTargetName !== undefined) normalizePeerTargetName(opts.peerTargetName, settings.protocol);
      const target = normalizeConnectTarget(opts);
      let family = opts.family === undefined ? undefined : normalizeFamily(opts.family, syscall);
      if (target.localAddress !== undefined) {
        // A local address fixes the family: only the host's addresses of that family are tried.
        const local = isIP(target.localAddress) === 6 ? 'ipv6' : 'ipv4';
        if (family !== undefined && family !== local)
          throw new SecureSocketError(
            'WSAEAFNOSUPPORT',
            `connect: localAddress ${target.localAddress} is not of family ${family}`,
            { syscall },
          );
        family = local;
      }
      const signal = checkSignal(opts.signal, syscall);
      if (signal?.aborted)
        throw new SecureSocketError('ERR_WSASEC_ABORTED', 'connect: the signal was already aborted', {
          syscall,
          cause: signal.reason,
        });
      const addresses = await resolveAll(target.host, family);
      let lastError: SecureSocketError | undefined;
      for (const address of addresses) {
        const socket = createSocket({ family: address.family });
        try {
          socket.setSecurity(opts.security);
          if (opts.peerTargetName !== undefined) socket.setPeerTargetName(opts.peerTargetName);
        } catch (error) {
          // A backend may refuse settings core accepted (an unknown policy key): never leak the socket.
          socket.destroy();
          throw error;
        }
        try {
          await connectGuarded(socket, {
            host: address.address,
            port: target.port,
            ...(signal ? { signal } : {}),
            ...(target.timeout ? { timeout: target.timeout } : {}),
            ...(target.localAddress !== undefined ? { localAddress: target.localAddress } : {}),
            ...(target.localPort !== undefined ? { localPort: target.localPort } : {}),
          });
          return socket;
        } catch (error) {
          lastError = toSecureSocketError(error, 'WSAConnect');
          // Authentication failures and aborts are answers, not unreachable addresses: stop here.
          if (lastError.code.startsWith('ERR_WSASEC_')) throw lastError;
        }
      }
      throw (
        lastError ??
        new SecureSocketError('WSAHOST_NOT_FOUND', `no address to connect to for ${target.host}`, { syscall })
      );
    },

    createServer(
      opts?: ServerOptions | ((socket: SecureSocket) => void) | null,
      onConnection?: (socket: SecureSocket) => void,
    ): SecureServer {
      const syscall = 'WSASetSocketSecurity';
      // As net.createServer: (listener), (options, listener), (null, listener).
      if (typeof opts === 'function') {
        onConnection = opts;
        opts = undefined;
      } else if (opts === null) opts = undefined;
      if (opts !== undefined && typeof opts !== 'object')
        throw invalidArgType('options', 'object', opts, syscall);
      if (opts !== undefined && !isPlainObject(opts)) {
        throw new SecureSocketError(
          'WSAEINVAL',
          `createServer options must be { security?, family? }, got ${describeValue(opts)}`,
          { syscall },
        );
      }
      if (opts) {
        checkKeys(
          opts,
          [
            'security',
            'family',
            'allowHalfOpen',
            'pauseOnConnect',
            'noDelay',
            'keepAlive',
            'keepAliveInitialDelay',
          ],
          'createServer options',
          syscall,
        );
      }
      const accept = acceptOptions(opts);
      if (onConnection !== undefined && typeof onConnection !== 'function') {
        throw new SecureSocketError(
          'ERR_WSASEC_INVALID_ARGUMENT',
          'createServer: onConnection must be a function',
          { syscall: 'listen' },
        );
      }
      const security = normalizeSecuritySettings(opts?.security, syscall);
      const family = opts?.family === undefined ? undefined : normalizeFamily(opts.family, 'listen');
      const server = new SecureServerImpl(driver, security, family, accept);
      if (onConnection) server.on('connection', onConnection);
      servers.add(server);
      server.once('close', () => servers.delete(server));
      return server;
    },

    currentIdentity() {
      return driver.currentIdentity();
    },

    revertImpersonation() {
      driver.revertImpersonation();
    },

    accessCheck(token: PeerToken, sddl: string, desiredAccess: number): AccessCheckResult {
      const syscall = 'AccessCheck';
      if (
        typeof token !== 'object' ||
        token === null ||
        typeof (token as PeerToken).close !== 'function' ||
        !('user' in token)
      ) {
        throw new SecureSocketError(
          'ERR_WSASEC_INVALID_ARGUMENT',
          'accessCheck needs a PeerToken from querySecurity({ tokenAccess })',
          { syscall },
        );
      }
      if (token.closed)
        throw new SecureSocketError('ERR_WSASEC_TOKEN_CLOSED', 'accessCheck: the token was closed', {
          syscall,
        });
      if (typeof sddl !== 'string' || sddl.length === 0 || sddl.length > MAX_SDDL_LENGTH) {
        throw new SecureSocketError(
          'WSAEINVAL',
          `accessCheck needs an SDDL security descriptor string (1–${MAX_SDDL_LENGTH} characters), e.g. "D:(A;;GA;;;AU)"`,
          { syscall },
        );
      }
      const mask = normalizeAccessMask(desiredAccess, 'desiredAccess', syscall, false);
      return driver.accessCheck(token, sddl, mask);
    },

    addPolicies(policies: readonly PolicyDescription[]): PolicyRegistration {
      const syscall = 'FwpmProviderContextAdd0';
      if (backendClosed)
        throw new SecureSocketError('WSAENOTSOCK', 'addPolicies: the backend is closed', { syscall });
      if (!Array.isArray(policies) || policies.length === 0) {
        throw new SecureSocketError(
          'ERR_WSASEC_INVALID_ARGUMENT',
          `addPolicies needs a non-empty array of policy descriptions { key, mode: 'main' | 'quick', … }, got ${describeValue(policies)}`,
          { syscall },
        );
      }
      const checked = policies.map((p) => normalizePolicyDescription(p, syscall));
      const keys = checked.map((p) => p.key);
      const repeated = keys.find((key, i) => keys.indexOf(key) !== i);
      if (repeated !== undefined) {
        throw new SecureSocketError(
          'ERR_WSASEC_INVALID_ARGUMENT',
          `addPolicies: policy key ${repeated} appears twice; each policy needs its own key`,
          { syscall },
        );
      }
      if (!driver.addPolicies) {
        throw new SecureSocketError(
          'WSAEOPNOTSUPP',
          `addPolicies: the ${driver.name} backend has no custom IPsec policies`,
          { syscall },
        );
      }
      const added = driver.addPolicies(checked);
      let closed = false;
      const registration: PolicyRegistration = {
        keys: Object.freeze(keys),
        get closed() {
          return closed;
        },
        close() {
          if (closed) return;
          closed = true;
          registrations.delete(registration);
          added.remove();
        },
        [Symbol.dispose]() {
          registration.close();
        },
      };
      registrations.add(registration);
      return registration;
    },

    async close() {
      backendClosed = true;
      // Start every server's close (stops accepting), then end their connections so it can finish.
      const closing = [...servers].map((s) => closeServer(s));
      for (const s of servers) s.closeAllConnections();
      const datagramsClosed = [...datagrams].map(
        (socket) => new Promise<void>((resolve) => socket.close(resolve)),
      );
      await Promise.all([...closing, ...datagramsClosed]);
      for (const registration of [...registrations]) registration.close();
      await driver.close();
    },
  };
  return Object.freeze(backend);
}

/** What net.createServer's options ask of every accepted socket. */
interface AcceptOptions {
  allowHalfOpen: boolean;
  pauseOnConnect: boolean;
  noDelay: boolean;
  keepAlive: boolean;
  keepAliveInitialDelay: number;
}

function acceptOptions(opts: ServerOptions | undefined): AcceptOptions {
  const flag = (name: 'allowHalfOpen' | 'pauseOnConnect' | 'noDelay' | 'keepAlive'): boolean => {
    const value = opts?.[name];
    if (value === undefined) return false;
    if (typeof value !== 'boolean') throw invalidArgType(`options.${name}`, 'boolean', value, 'listen');
    return value;
  };
  const delay = opts?.keepAliveInitialDelay ?? 0;
  if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0)
    throw new SecureSocketError(
      'ERR_INVALID_ARG_TYPE',
      `The "options.keepAliveInitialDelay" property must be a number of milliseconds >= 0. Received ${describeReceived(delay)}`,
      { syscall: 'listen' },
    );
  return {
    allowHalfOpen: flag('allowHalfOpen'),
    pauseOnConnect: flag('pauseOnConnect'),
    noDelay: flag('noDelay'),
    keepAlive: flag('keepAlive'),
    keepAliveInitialDelay: delay,
  };
}

class SecureServerImpl extends EventEmitter implements SecureServer {
  #driver: BackendDriver;
  #security: NormalizedSecuritySettings;
  #family: 'ipv4' | 'ipv6' | undefined;
  #server: ServerDriver | undefined;
  #address: { address: string; port: number; family: 'IPv4' | 'IPv6' } | null = null;
  #connections = new Set<SecureSocket>();
  /**
   * The driver close of the last `close()` while it is in flight: `'close'` waits for it, so the
   * port is free by then (net's handle closes its fd at once).
   */
  #driverClosing: Promise<void> | undefined;

  #accepted: AcceptOptions;
  /**
   * As net.Server's: `family digit:address:port` of the last listen as it was asked for (port 0
   * stays 0; with no host, the loopback address core listens on where net names `::`), which
   * cluster-aware code and Node's own tests read.
   */
  _connectionKey: string | undefined;

  constructor(
    driver: BackendDriver,
    security: NormalizedSecuritySettings,
    family: 'ipv4' | 'ipv6' | undefined,
    accepted: AcceptOptions,
  ) {
    super();
    this.#accepted = accepted;
    this.#driver = driver;
    this.#security = security;
    this.#family = family;
  }

  get listening(): boolean {
    return this.#address !== null;
  }

  /** The bound address (`family` `'ipv4'`/`'ipv6'`, as `listen()` resolves it), or null. */
  address() {
    return this.#address;
  }

  get connections(): number {
    return this.#connections.size;
  }

  /** As `net.Server.maxConnections`: connections accepted beyond it are destroyed (`'drop'` is emitted). */
  maxConnections: number | undefined = undefined;

  /** As `net.Server.getConnections(cb)`. */
  getConnections(cb: (error: Error | null, count: number) => void): this {
    const count = this.#connections.size;
    if (typeof cb === 'function') process.nextTick(cb, null, count);
    return this;
  }

  #refed = true;

  /** As `net.Server.ref()`. */
  ref(): this {
    this.#refed = true;
    (this.#server as { ref?: () => void } | undefined)?.ref?.();
    return this;
  }

  /** As `net.Server.unref()`. */
  unref(): this {
    this.#refed = false;
    (this.#server as { unref?: () => void } | undefined)?.unref?.();
    return this;
  }

  /**
   * Every form of `net.Server.listen` for a TCP port — `listen(port?, host?, backlog?, cb?)`,
   * `listen(options, cb?)`, `listen(cb?)` — returns the server and reports the bind through
   * `'listening'` / `'error'`; bad arguments throw at once, as net's do.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the overloads of net.Server.listen
  listen(...args: any[]): this {
    const opts = parseListenArgs(args);
    const signal = opts.signal;
    if (signal?.aborted) {
      // net: an aborted signal closes the server instead of listening.
      process.nextTick(() => this.close());
      return this;
    }
    const listening = this.#listen(opts.options);
    if (opts.callback) this.once('listening', opts.callback);
    const onAbort = () => this.close();
    const forget = () => signal?.removeEventListener('abort', onAbort);
    if (signal) {
      signal.addEventListener('abort', onAbort, { once: true });
      this.once('close', forget);
    }
    listening.then(
      () => {},
      (error) => {
        if (opts.callback) this.removeListener('listening', opts.callback);
        forget();
        this.removeListener('close', forget);
        this.emit('error', error);
      },
    );
    return this;
  }

  /** Validates and starts the bind synchronously (throws); the Promise settles with the bind. */
  #listen(opts: ListenOptions) {
    const syscall = 'listen';
    // As net.Server: a server listens again once close() was called (its 'close' may still come).
    if (this.#server)
      throw new SecureSocketError(
        'ERR_SERVER_ALREADY_LISTEN',
        'listen: the server is already listening; close() it before listening again',
        { syscall },
      );
    const family =
      this.#family ??
      (typeof opts.host === 'string' && isIP(opts.host.replace(/^\[|\]$/g, '')) === 6 ? 'ipv6' : 'ipv4');
    const host = normalizeAddress(
      { address: opts.host ?? (family === 'ipv6' ? '::1' : '127.0.0.1'), port: opts.port ?? 0 },
      'listen address',
      syscall,
    );
    if (host.family !== family)
      throw new SecureSocketError('WSAEAFNOSUPPORT', `listen: ${host.address} is not an ${family} address`, {
        syscall,
      });
    const backlog = opts.backlog;
    if (backlog !== undefined && (typeof backlog !== 'number' || !Number.isInteger(backlog) || backlog < 0)) {
      throw new SecureSocketError(
        'WSAEINVAL',
        `listen: backlog must be a non-negative integer, got ${describeValue(backlog)}`,
        { syscall },
      );
    }
    this._connectionKey = `${family === 'ipv6' ? 6 : 4}:${host.address}:${host.port}`;
    const security = this.#security;
    const server = this.#driver.createServer(
      { family, security, pauseOnConnect: this.#accepted.pauseOnConnect },
      {
        connection: (socket: SocketDriver) => this.#accept(socket, family, security, server),
        negotiationError: (error: Error) => {
          if (this.listenerCount('negotiationError') > 0) this.emit('negotiationError', error);
        },
        error: (error: Error) => this.emit('error', error),
      },
    );
    this.#server = server;
    let binding: Promise<NormalizedAddress>;
    try {
      binding = server.listen(host.address, host.port, backlog);
    } catch (error) {
      binding = Promise.reject(error);
    }
    // As net, which binds at once when no host is given (a host is looked up first, even an IP
    // literal): then address() and listening answer right after listen(), 'listening' comes later
    // — where the backend's bind is synchronous too.
    const early = opts.host ? null : server.address?.();
    if (early) this.#address = netAddress(early);
    return (async () => {
      let bound: NormalizedAddress;
      try {
        bound = await binding;
      } catch (error) {
        if (this.#server === server) {
          this.#server = undefined;
          this.#address = null;
        }
        // As net's listen errors: they name the address and port asked for.
        const failure = toSecureSocketError(error, syscall);
        if (failure.address === undefined) {
          const named = failure as { address?: string; port?: number };
          named.address = host.address;
          named.port = host.port;
        }
        throw failure;
      }
      // Closed while binding (net: close() right after listen()): never 'listening'.
      if (this.#server !== server) return netAddress(bound);
      this.#address = netAddress(bound);
      if (!this.#refed) (server as { unref?: () => void }).unref?.();
      this.emit('listening');
      return this.#address;
    })();
  }

  #accept(
    socketDriver: SocketDriver,
    family: 'ipv4' | 'ipv6',
    security: NormalizedSecuritySettings,
    server: ServerDriver,
  ) {
    const socket = guardSocket(socketDriver, {
      type: 'stream',
      family,
      backendName: this.#driver.name,
      accepted: { security },
      resolveOne: () =>
        Promise.reject(new SecureSocketError('WSAEISCONN', 'an accepted socket is already connected')),
    });
    // A connection its listening socket delivers after close() was called is not accepted.
    if (this.#server !== server) {
      socket.destroy();
      return;
    }
    const max = this.maxConnections;
    if (typeof max === 'number' && max >= 0 && this.#connections.size >= max) {
      const drop = {
        localAddress: socket.localAddress,
        localPort: socket.localPort,
        localFamily: (socket as { localFamily?: string }).localFamily,
        remoteAddress: socket.remoteAddress,
        remotePort: socket.remotePort,
        remoteFamily: socket.remoteFamily,
      };
      socket.destroy();
      this.emit('drop', drop);
      return;
    }
    // As net's onconnection: the accepted socket names its server.
    (socket as { server?: unknown }).server = this;
    const accepted = this.#accepted;
    if (accepted.allowHalfOpen) socket.allowHalfOpen = true;
    if (accepted.noDelay) socket.setNoDelay?.(true);
    if (accepted.keepAlive) socket.setKeepAlive?.(true, accepted.keepAliveInitialDelay);
    if (accepted.pauseOnConnect) socket.pause();
    this.#connections.add(socket);
    socket.once('close', () => {
      this.#connections.delete(socket);
      this.#emitCloseIfDrained();
    });
    this.emit('connection', socket);
  }

  /**
   * net's `_emitCloseIfDrained`: once the server neither listens nor has a connection open,
   * `'close'` comes — after the driver close in flight, else on the next tick.
   */
  #emitCloseIfDrained() {
    if (this.#server || this.#connections.size > 0) return;
    const closing = this.#driverClosing;
    if (closing) void closing.then(() => this.emit('close'));
    else process.nextTick(() => this.emit('close'));
  }

  /**
   * As `net.Server.close(cb)`: stops accepting and returns the server; from here on it may listen
   * again. `'close'` follows once every accepted connection has closed, or at once (after the
   * listening socket's close) when none is open — and on the next tick when the server was not
   * listening, as net emits it then too. `cb` runs on `'close'`, with `ERR_SERVER_NOT_RUNNING` when
   * the server was not listening; a `cb` that is not a function is ignored, as net ignores it.
   */
  close(cb?: (error?: Error) => void): this {
    const server = this.#server;
    if (typeof cb === 'function') {
      if (server) this.once('close', () => cb());
      else this.once('close', () => cb(serverNotRunning()));
    }
    if (server) {
      this.#server = undefined;
      this.#address = null;
      // A failed close of the listening socket leaves nothing to wait for: the server is closed.
      const closing = server.close().then(
        () => {},
        () => {},
      );
      this.#driverClosing = closing;
      void closing.then(() => {
        if (this.#driverClosing === closing) this.#driverClosing = undefined;
      });
    }
    this.#emitCloseIfDrained();
    return this;
  }

  /**
   * As net.Server's: with `captureRejections`, a rejected async `'connection'` listener destroys
   * that connection with the error; one of another event becomes the server's `'error'`.
   */
  override [EventEmitter.captureRejectionSymbol](error: Error, event: string, socket?: SecureSocket): void {
    if (event === 'connection' && socket) socket.destroy(error);
    else this.emit('error', error);
  }

  /** As `net.Server[Symbol.asyncDispose]()`: closes a listening server and resolves on `'close'`. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#server) return;
    await new Promise<void>((resolve) => this.close(() => resolve()));
  }

  /** Destroys every accepted connection (like `server.closeAllConnections()`). */
  closeAllConnections(): void {
    for (const socket of this.#connections) socket.destroy();
  }
}

/**
 * The options net's `listen` documents. `exclusive`, `ipv6Only`, `readableAll` and `writableAll`
 * are accepted and change nothing here (a backend server is never shared with cluster workers,
 * binds one family, and has no pipe).
 */
const NET_LISTEN_KEYS = [
  'port',
  'host',
  'backlog',
  'signal',
  'exclusive',
  'ipv6Only',
  'reusePort',
  'readableAll',
  'writableAll',
  'path',
];

function serverNotRunning(): SecureSocketError {
  return new SecureSocketError('ERR_SERVER_NOT_RUNNING', 'close: the server is not running', {
    syscall: 'closesocket',
  });
}

/** As `dgram.createSocket({ signal })`: the socket closes when the signal aborts. */
function closeOnAbort(socket: SecureDatagramSocket, signal: AbortSignal): void {
  // A socket closed meanwhile stays closed; any other failure of close() is the caller's to see.
  const onAbort = () => {
    if (socketState(socket)?.phase !== 'closed') socket.close();
  };
  if (signal.aborted) {
    onAbort();
    return;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  socket.once('close', () => signal.removeEventListener('abort', onAbort));
}

/** A bound address as `net.Server.address()` gives it (net's family spelling, 'IPv4' / 'IPv6'). */
function netAddress(bound: NormalizedAddress): { address: string; port: number; family: 'IPv4' | 'IPv6' } {
  return { address: bound.address, port: bound.port, family: bound.family === 'ipv6' ? 'IPv6' : 'IPv4' };
}

/** The positional, options and callback forms of `net.Server.listen`, as one options object. */
// biome-ignore lint/suspicious/noExplicitAny: the overloads of net.Server.listen
function parseListenArgs(args: any[]): {
  options: ListenOptions;
  callback?: () => void;
  signal?: AbortSignal;
} {
  const syscall = 'listen';
  const rest = [...args];
  const callback = typeof rest[rest.length - 1] === 'function' ? (rest.pop() as () => void) : undefined;
  for (const value of rest)
    if (typeof value === 'function')
      throw new SecureSocketError(
        'ERR_WSASEC_INVALID_ARGUMENT',
        'listen: only the last argument may be a callback',
        {
          syscall,
        },
      );
  const [first, second, third] = rest;
  if (isPlainObject(first)) {
    // As net: a given port is checked first (a path beside it is then refused here, ignored by net).
    const given = (first as { port?: unknown }).port;
    const port = given === undefined || given === null ? undefined : listenPort(given, first);
    const path = (first as { path?: unknown }).path;
    if (typeof path === 'string' && !(Number(path) >= 0))
      throw new SecureSocketError(
        'WSAEOPNOTSUPP',
        'listen: pipes and Unix domain sockets (path) are not supported; IPsec secures TCP only — give { port, host }',
        { syscall },
      );
    // As net: a path that is no pipe name, and no port, make the options invalid.
    if (path !== undefined && path !== null && port === undefined)
      throw invalidArgValue('options', first, syscall);
    const fd = (first as { fd?: unknown }).fd;
    if (typeof fd === 'number' && fd >= 0)
      throw new SecureSocketError(
        'WSAEOPNOTSUPP',
        'listen: a file descriptor (fd) is not supported: the secured listening SOCKET is made by the backend — give { port, host }',
        { syscall },
      );
    if (!('port' in first))
      throw invalidArgValue('options', first, syscall, 'must have the property "port" or "path"');
    const unknown = Object.keys(first).filter((key) => !NET_LISTEN_KEYS.includes(key));
    if (unknown.length > 0)
      throw new SecureSocketError(
        'ERR_INVALID_ARG_VALUE',
        `listen: unknown option ${unknown.map((key) => JSON.stringify(key)).join(', ')}; accepted: ${NET_LISTEN_KEYS.join(', ')}`,
        { syscall },
      );
    if ((first as { reusePort?: unknown }).reusePort === true)
      throw new SecureSocketError(
        'WSAEOPNOTSUPP',
        'listen: reusePort is not supported: a secured listening socket is not shared between processes',
        { syscall },
      );
    const { host, backlog, signal } = first as {
      host?: unknown;
      backlog?: unknown;
      signal?: unknown;
    };
    if (signal !== undefined && !(signal instanceof AbortSignal))
      throw new SecureSocketError(
        'ERR_INVALID_ARG_TYPE',
        `The "options.signal" property must be an instance of AbortSignal. Received ${describeReceived(signal)}`,
        { syscall },
      );
    const options: Record<string, unknown> = {};
    if (port !== undefined) options.port = port;
    if (host !== undefined && host !== null) options.host = host;
    if (backlog !== undefined) options.backlog = backlog;
    return {
      options: options as ListenOptions,
      ...(callback ? { callback } : {}),
      ...(signal ? { signal: signal as AbortSignal } : {}),
    };
  }
  // As net: a string that is not a number is a pipe name.
  if (typeof first === 'string' && !(Number(first) >= 0))
    throw new SecureSocketError(
      'WSAEOPNOTSUPP',
      `listen: ${JSON.stringify(first)} is a pipe path; IPsec secures TCP only — give a port (0–65535) and a host`,
      { syscall },
    );
  const options: Record<string, unknown> = {};
  if (first !== undefined && first !== null) options.port = listenPort(first, { port: first });
  if (typeof second === 'number') options.backlog = second;
  else {
    if (second !== undefined && second !== null) options.host = second;
    if (third !== undefined) options.backlog = third;
  }
  return { options: options as ListenOptions, ...(callback ? { callback } : {}) };
}

/** net's listen port rule: a number or a string of one (else the options are invalid), in range. */
function listenPort(value: unknown, options: object): number {
  if (typeof value !== 'number' && typeof value !== 'string')
    throw invalidArgValue('options', options, 'listen');
  const port = netPort(value);
  if (port === undefined) throw badPort('options.port', value, 'listen');
  return port;
}
