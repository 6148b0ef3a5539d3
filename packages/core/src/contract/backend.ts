import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { PolicyDescription } from '../validate/policy.js';
import type { SecureDatagramSocket } from './datagram-types.js';
import type {
  AccessCheckResult,
  ConnectOptions,
  CreateSocketOptions,
  ListenOptions,
  PeerTargetName,
  PeerToken,
  Principal,
  QueryOptions,
  SecurityAssociations,
  SecurityInfo,
  SecuritySettings,
  ServerOptions,
  SocketAddress,
} from './types.js';

export type { DatagramBindOptions, DatagramRemoteInfo, SecureDatagramSocket } from './datagram-types.js';

/**
 * A socket secured by a backend. A `Duplex` usable wherever Node's http, https and undici expect a
 * `net.Socket`. Every method goes through core's call-order rules, so both backends raise the same
 * `SecureSocketError` for the same misuse.
 */
export interface SecureSocket extends Duplex {
  /** `'stream'` (TCP). Datagram sockets are {@link SecureDatagramSocket}s; the union is kept for code that switches on it. */
  readonly socketType: 'stream' | 'dgram';
  /** `'ipv4'` or `'ipv6'`. */
  readonly family: 'ipv4' | 'ipv6';
  /** The backend that made this socket. */
  readonly backendName: string;
  /**
   * Mirrors `WSASetSocketSecurity`. Call once, before connect (clients) or bind (servers).
   * Absent settings select the default policy.
   * @throws SecureSocketError `WSAEINVAL` (bad settings, second call, after connect started),
   *   `WSAEISCONN` (connected), `WSAENOTSOCK` (closed), `WSAEMSGSIZE` (a string too long),
   *   `WSAEOPNOTSUPP` (policy not supported by the backend).
   */
  setSecurity(settings?: SecuritySettings): void;
  /**
   * Mirrors `WSASetSocketPeerTargetName`: the principal the peer must authenticate as.
   * @throws SecureSocketError `WSAEINVAL` (bad name, zero datagram peer address, during connect),
   *   `WSAEISCONN` (connected), `WSAEAFNOSUPPORT` (address family), `WSAENOTSOCK` (closed).
   */
  setPeerTargetName(target: string | PeerTargetName): void;
  /**
   * Mirrors `WSADeleteSocketPeerTargetName`. Meant for datagram sockets; deleting a name that was
   * never set succeeds.
   * @throws SecureSocketError `WSAEFAULT` (no address), `WSAEINVAL`, `WSAEAFNOSUPPORT`, `WSAENOTSOCK`.
   */
  deletePeerTargetName(peerAddress: SocketAddress): void;
  /**
   * Mirrors `WSAConnect` on a secured socket, in every form of `net.Socket.connect`:
   * `connect(port, host?, connectListener?)` and `connect({ port, host?, signal?, timeout?, lookup?,
   * localAddress?, localPort? }, connectListener?)` return the socket at once; `'connect'` and `'ready'` follow once IPsec
   * negotiation succeeded (or fell back to clear text under `allowInsecure`), else `'error'` then
   * `'close'`. Writes before `'connect'` are buffered and sent protected. `timeout` is net's: it calls
   * `setTimeout`. `destroy()` while connecting cancels the negotiation. To await it:
   * `await once(socket.connect(port, host), 'connect')`, or `backend.connect(options)`.
   * @throws SecureSocketError synchronously: `ERR_INVALID_ARG_TYPE` / `ERR_SOCKET_BAD_PORT` (a bad
   *   port or host, as net), `ERR_INVALID_IP_ADDRESS` (a `localAddress` that is not an IP, as net),
   *   `WSAEAFNOSUPPORT` (a `localAddress` of the other family), `WSAEOPNOTSUPP` (a pipe path), `WSAEISCONN`, `WSAEALREADY`, `WSAENOTSOCK`.
   *   Emitted as `'error'`: `WSAEINVAL` (target name not an SPN), `WSAECONNREFUSED`, `WSAETIMEDOUT`,
   *   `ERR_WSASEC_NEGOTIATION_FAILED` (with `negotiationError`), `ERR_WSASEC_PEER_NAME_MISMATCH`,
   *   `ERR_WSASEC_ABORTED` (named `AbortError`), each with `address`, `port` and `nodeCode`.
   */
  connect(port: number | string, host?: string, connectListener?: () => void): this;
  connect(port: number | string, connectListener?: () => void): this;
  connect(
    options: {
      port: number | string;
      host?: string;
      signal?: AbortSignal;
      timeout?: number;
      /** As net's: resolves `host` for the socket's family, in `dns.lookup`'s form. */
      lookup?: (
        hostname: string,
        options: { family: 4 | 6; hints: number },
        callback: (error: Error | null, address: string, family: number) => void,
      ) => void;
      /** As net's: the local IP literal to bind before connecting. */
      localAddress?: string;
      /** As net's: the local port to bind before connecting. */
      localPort?: number;
    },
    connectListener?: () => void,
  ): this;
  /**
   * Mirrors `WSAQuerySocketSecurity`. The result owns the peer tokens: close it (or `using`).
   * @throws SecureSocketError `WSAENOTCONN` (not connected), `WSAENOTSOCK` (closed), `WSAEINVAL`
   *   (bad options), `WSAEMSGSIZE` (datagram socket without a peer address), `WSAECONNRESET`.
   */
  querySecurity(opts?: QueryOptions): SecurityInfo;
  /**
   * The IPsec SAs protecting this connection — its main-mode SA and its quick-mode SA(s) — as
   * Microsoft's advanced sample prints them with `MatchIPsecSAsForConnectedSocket` (on Windows:
   * an IPSEC2 query, then `IkeextSaGetById0` and `IPsecSaContextEnum0`; administrator rights by
   * default). In clear text: `{ mainMode: undefined, quickMode: [] }`.
   * @throws SecureSocketError `WSAENOTCONN` (not connected), `WSAENOTSOCK` (closed), `WSAEOPNOTSUPP`
   *   (the backend cannot look SAs up), `WSAEACCES` (Windows: not allowed to read SAs).
   */
  querySecurityAssociations(): SecurityAssociations;
  /**
   * Mirrors `WSAImpersonateSocketPeer` … `WSARevertImpersonation`: runs `fn` synchronously as the
   * peer (its user, else its machine) and always reverts.
   * @throws SecureSocketError `ERR_WSASEC_ASYNC_IMPERSONATION` (fn returned a promise; reverted first),
   *   `WSAENOTCONN`, `WSAENOTSOCK`, `WSAEFAULT` (datagram socket without a peer address).
   */
  impersonatePeer<T>(fn: () => T, peerAddress?: SocketAddress): T;

  // The net.Socket surface Node's http stack uses.
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly remoteFamily?: string | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly connecting: boolean;
  /** As `net.Socket.pending`: true until connected, and again from `destroy()` on. */
  readonly pending: boolean;
  /** As `net.Socket.readyState`: `'opening'` while connecting, then by the stream's open sides. */
  readonly readyState: 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed';
  setNoDelay(noDelay?: boolean): this;
  setKeepAlive(enable?: boolean, initialDelay?: number): this;
  setTimeout(timeout: number, callback?: () => void): this;
  ref(): this;
  unref(): this;
  address(): { address: string; family: string; port: number } | object;
  destroySoon(): void;
}

/** A listening secured socket. Emits `'connection'` (SecureSocket), `'error'`, `'close'`, and
 * `'negotiationError'` (a SecureSocketError for an incoming connection that failed to negotiate). */
export interface SecureServer extends EventEmitter {
  /**
   * Binds and listens (the listening socket is secured before bind), in every form
   * `net.Server.listen` documents for a TCP port: `listen(port?, host?, backlog?, cb?)`,
   * `listen(options, cb?)`, `listen(cb?)`. Returns the server; the bind reports through
   * `'listening'` / `'error'`. As net: `options` must have `port` (`ERR_INVALID_ARG_VALUE`), a
   * second `listen` while listening throws `ERR_SERVER_ALREADY_LISTEN`, and `options.signal` closes
   * the server when it aborts. A pipe path is refused (`WSAEOPNOTSUPP`: IPsec secures TCP only).
   * {@link listenServer} is the promise form.
   */
  listen(port?: number | string | null, callback?: () => void): this;
  listen(port: number | string | null | undefined, host?: string, callback?: () => void): this;
  listen(
    port: number | string | null | undefined,
    host?: string,
    backlog?: number,
    callback?: () => void,
  ): this;
  listen(options: ListenOptions, callback?: () => void): this;
  listen(callback: () => void): this;
  /** The bound address as `net.Server.address()` gives it (family `'IPv4'` / `'IPv6'`), or null before listen. */
  address(): { address: string; port: number; family: 'IPv4' | 'IPv6' } | null;
  /**
   * As `net.Server.close(cb)`: stops accepting and returns the server; `'close'` is emitted once
   * every accepted connection has closed (on the next tick when none is open or the server was not
   * listening). `cb` is called on `'close'`, with `ERR_SERVER_NOT_RUNNING` if the server was not
   * listening; a `cb` that is not a function is ignored. {@link closeServer} is the promise form.
   */
  close(callback?: (error?: Error) => void): this;
  /** As `net.Server[Symbol.asyncDispose]()`: closes a listening server and resolves on `'close'`. */
  [Symbol.asyncDispose](): Promise<void>;
  /** As `net.Server.getConnections`. */
  getConnections(callback: (error: Error | null, count: number) => void): this;
  /** As `net.Server.maxConnections`: connections beyond it are destroyed and `'drop'` is emitted. */
  maxConnections: number | undefined;
  ref(): this;
  unref(): this;
  /** True while listening. */
  readonly listening: boolean;
  /** Accepted connections still open. */
  readonly connections: number;
  /** Destroys every accepted connection (like `http.Server.closeAllConnections()`). */
  closeAllConnections(): void;
}

/**
 * IPsec policies added by {@link SecureSocketBackend.addPolicies}. They stay in force until
 * `close()` (or the backend's `close()`); sockets select them by key in their settings.
 */
export interface PolicyRegistration extends Disposable {
  /** The policies' keys (lower-case GUIDs), in the order given. */
  readonly keys: readonly string[];
  /** True once the policies were removed. */
  readonly closed: boolean;
  /** Removes the policies; a second call does nothing. */
  close(): void;
}

/**
 * The contract every backend implements (`@wsasec/sim`, `@wsasec/native-win`). Backends are
 * built with {@link defineBackend}, which puts core's call-order rules around their mechanisms.
 */
export interface SecureSocketBackend {
  readonly specificationVersion: 'v1';
  /** `'sim'`, `'native-win'`, … */
  readonly name: string;
  /**
   * Mirrors `WSASocketW` with `SOCK_DGRAM`: a new datagram (UDP) socket, dgram-like. Its security
   * is per peer: each peer address gets its own security association on the first send to it (or
   * the first datagram from it).
   * @throws SecureSocketError `WSAEOPNOTSUPP` (the backend has no datagram sockets), `WSAEINVAL`
   *   (bad options), `WSAEAFNOSUPPORT` (bad family).
   */
  createSocket(opts: CreateSocketOptions & { type: 'dgram' }): SecureDatagramSocket;
  /** Mirrors `WSASocketW` with `SOCK_STREAM`: a new unconnected stream (TCP) socket. */
  createSocket(opts?: CreateSocketOptions & { type?: 'stream' }): SecureSocket;
  /** Mirrors `WSASocketW`: a stream socket, or a datagram socket when `type` is `'dgram'`. */
  createSocket(opts?: CreateSocketOptions): SecureSocket | SecureDatagramSocket;
  /** Create + setSecurity + setPeerTargetName + connect, trying each resolved address in turn. */
  connect(opts: ConnectOptions): Promise<SecureSocket>;
  /**
   * A listening socket whose accepted connections are secured, in net.createServer's forms:
   * `(options?, onConnection?)` and `(onConnection)`.
   * @throws SecureSocketError `ERR_INVALID_ARG_TYPE` (options that are not an object, as net),
   *   `WSAEINVAL` (bad options or settings).
   */
  createServer(opts?: ServerOptions | null, onConnection?: (socket: SecureSocket) => void): SecureServer;
  createServer(onConnection: (socket: SecureSocket) => void): SecureServer;
  /** Who the running code acts as now (the peer, inside `impersonatePeer`). */
  currentIdentity(): Principal;
  /** Mirrors `WSARevertImpersonation`: ends any impersonation of the current scope. */
  revertImpersonation(): void;
  /**
   * Mirrors `AccessCheck`: evaluates the DACL of an SDDL security descriptor against a token.
   * @throws SecureSocketError `WSAEINVAL` (malformed SDDL, zero or non-integer access),
   *   `ERR_WSASEC_TOKEN_CLOSED`.
   */
  accessCheck(token: PeerToken, sddl: string, desiredAccess: number): AccessCheckResult;
  /**
   * Adds custom IPsec policies — AuthIP main-mode and quick-mode — that sockets then select with
   * `ipsec.mainModePolicyKey` / `ipsec.quickModePolicyKey`, as Microsoft's advanced sample does with
   * `FwpmProviderContextAdd0`. One description works on every backend: on Windows they become WFP
   * provider contexts (in a dynamic session: Windows removes them if the process dies), on the sim
   * policies of its realm. All or none are added.
   * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (not a non-empty array of policy
   *   descriptions, a bad description, a key given twice or already in use), `WSAEOPNOTSUPP` (the
   *   backend has no custom policies), `WSAEACCES` (Windows: not an administrator), `WSAENOTSOCK`
   *   (the backend is closed).
   */
  addPolicies(policies: readonly PolicyDescription[]): PolicyRegistration;
  /** Releases everything the backend holds (servers, sockets, library handles). */
  close(): Promise<void>;
}
