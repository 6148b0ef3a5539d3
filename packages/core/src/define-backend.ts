import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { SecureDatagramSocket, SecureServer, SecureSocket, SecureSocketBackend } from './backend.js';
import { GuardedDatagramSocket } from './datagram-guard.js';
import type { BackendDriver, ServerDriver, SocketDriver } from './driver.js';
import { SecureSocketError } from './errors.js';
import { toSecureSocketError } from './node-errors.js';
import type { NormalizedAddress, NormalizedSecuritySettings } from './normalized.js';
import { guardSocket } from './socket-guard.js';
import type {
  AccessCheckResult,
  ConnectOptions,
  CreateSocketOptions,
  ListenOptions,
  PeerToken,
  ServerOptions,
} from './types.js';
import {
  checkKeys,
  checkSignal,
  describeValue,
  isPlainObject,
  normalizeAccessMask,
  normalizeAddress,
  normalizeConnectTarget,
  normalizeFamily,
  normalizePeerTargetName,
  normalizeSecuritySettings,
  normalizeSocketType,
} from './validate.js';

/** Longest SDDL string accepted by `accessCheck` (characters). */
export const MAX_SDDL_LENGTH = 65_536;

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
        `createSocket options must be { family?, type? }, got ${describeValue(opts)}`,
        { syscall },
      );
    }
    if (opts) checkKeys(opts, ['family', 'type'], 'createSocket options', syscall);
    const family = normalizeFamily(opts?.family, syscall);
    const type = normalizeSocketType(opts?.type, syscall);
    if (type === 'dgram') return createDatagram(family);
    const socketDriver = driver.createSocket({ family, type });
    return guardSocket(socketDriver, { type, family, backendName: driver.name, resolveOne });
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
          `connect needs { host, port, security?, peerTargetName?, signal?, timeout?, family? }, got ${describeValue(opts)}`,
          { syscall },
        );
      }
      checkKeys(
        opts,
        ['host', 'port', 'family', 'security', 'peerTargetName', 'signal', 'timeout'],
        'connect options',
        syscall,
      );
      // Validate everything before touching the network, so bad input never half-connects.
      const settings = normalizeSecuritySettings(opts.security);
      if (opts.peerTargetName !== undefined) normalizePeerTargetName(opts.peerTargetName, settings.protocol);
      const target = normalizeConnectTarget(opts);
      const family = opts.family === undefined ? undefined : normalizeFamily(opts.family, syscall);
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
          await socket.connect({
            host: address.address,
            port: target.port,
            ...(signal ? { signal } : {}),
            ...(target.timeout ? { timeout: target.timeout } : {}),
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

    createServer(opts?: ServerOptions, onConnection?: (socket: SecureSocket) => void): SecureServer {
      const syscall = 'WSASetSocketSecurity';
      if (opts !== undefined && !isPlainObject(opts)) {
        throw new SecureSocketError(
          'WSAEINVAL',
          `createServer options must be { security?, family? }, got ${describeValue(opts)}`,
          { syscall },
        );
      }
      if (opts) checkKeys(opts, ['security', 'family'], 'createServer options', syscall);
      if (onConnection !== undefined && typeof onConnection !== 'function') {
        throw new SecureSocketError(
          'ERR_WSASEC_INVALID_ARGUMENT',
          'createServer: onConnection must be a function',
          { syscall: 'listen' },
        );
      }
      const security = normalizeSecuritySettings(opts?.security, syscall);
      const family = opts?.family === undefined ? undefined : normalizeFamily(opts.family, 'listen');
      const server = new SecureServerImpl(driver, security, family);
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

    async close() {
      // Start every server's close (stops accepting), then end their connections so it can finish.
      const closing = [...servers].map((s) => s.close());
      for (const s of servers) s.closeAllConnections();
      const datagramsClosed = [...datagrams].map(
        (socket) => new Promise<void>((resolve) => socket.close(resolve)),
      );
      await Promise.all([...closing, ...datagramsClosed]);
      await driver.close();
    },
  };
  return Object.freeze(backend);
}

class SecureServerImpl extends EventEmitter implements SecureServer {
  #driver: BackendDriver;
  #security: NormalizedSecuritySettings;
  #family: 'ipv4' | 'ipv6' | undefined;
  #server: ServerDriver | undefined;
  #address: { address: string; port: number; family: 'ipv4' | 'ipv6' } | null = null;
  #connections = new Set<SecureSocket>();
  #closing: Promise<void> | undefined;

  constructor(
    driver: BackendDriver,
    security: NormalizedSecuritySettings,
    family: 'ipv4' | 'ipv6' | undefined,
  ) {
    super();
    this.#driver = driver;
    this.#security = security;
    this.#family = family;
  }

  get listening(): boolean {
    return this.#address !== null && !this.#closing;
  }

  address() {
    return this.#address;
  }

  get connections(): number {
    return this.#connections.size;
  }

  async listen(opts: ListenOptions = {}) {
    const syscall = 'listen';
    if (!isPlainObject(opts))
      throw new SecureSocketError(
        'WSAEINVAL',
        `listen options must be { host?, port?, backlog? }, got ${describeValue(opts)}`,
        { syscall },
      );
    checkKeys(opts, ['host', 'port', 'backlog'], 'listen options', syscall);
    if (this.#server || this.#closing)
      throw new SecureSocketError('WSAEINVAL', 'listen: the server is already listening or closed', {
        syscall,
      });
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
    const security = this.#security;
    const server = this.#driver.createServer(
      { family, security },
      {
        connection: (socket: SocketDriver) => this.#accept(socket, family, security),
        negotiationError: (error: Error) => {
          if (this.listenerCount('negotiationError') > 0) this.emit('negotiationError', error);
        },
        error: (error: Error) => this.emit('error', error),
      },
    );
    this.#server = server;
    try {
      const bound = await server.listen(host.address, host.port, backlog);
      this.#address = { address: bound.address, port: bound.port, family: bound.family };
    } catch (error) {
      this.#server = undefined;
      throw toSecureSocketError(error, syscall);
    }
    this.emit('listening');
    return this.#address;
  }

  #accept(socketDriver: SocketDriver, family: 'ipv4' | 'ipv6', security: NormalizedSecuritySettings) {
    const socket = guardSocket(socketDriver, {
      type: 'stream',
      family,
      backendName: this.#driver.name,
      accepted: { security },
      resolveOne: () =>
        Promise.reject(new SecureSocketError('WSAEISCONN', 'an accepted socket is already connected')),
    });
    if (this.#closing) {
      socket.destroy();
      return;
    }
    this.#connections.add(socket);
    socket.once('close', () => {
      this.#connections.delete(socket);
      this.#maybeClosed();
    });
    this.emit('connection', socket);
  }

  #resolveClosed: (() => void) | undefined;

  #maybeClosed() {
    if (this.#closing && this.#connections.size === 0 && this.#resolveClosed) {
      const done = this.#resolveClosed;
      this.#resolveClosed = undefined;
      done();
    }
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closing = (async () => {
      await this.#server?.close();
      await new Promise<void>((resolve) => {
        this.#resolveClosed = resolve;
        this.#maybeClosed();
      });
      this.#address = null;
      this.emit('close');
    })();
    return this.#closing;
  }

  /** Destroys every accepted connection (like `server.closeAllConnections()`). */
  closeAllConnections(): void {
    for (const socket of this.#connections) socket.destroy();
  }
}
