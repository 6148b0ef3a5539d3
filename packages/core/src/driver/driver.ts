import type { Duplex } from 'node:stream';
import type {
  AccessCheckResult,
  PeerToken,
  Principal,
  SecurityAssociations,
  SecurityInfo,
} from '../contract/types.js';
import type {
  NormalizedAddress,
  NormalizedConnectTarget,
  NormalizedPeerTargetName,
  NormalizedQuery,
  NormalizedSecuritySettings,
} from '../validate/normalized.js';
import type { PolicyDescription } from '../validate/policy.js';

/**
 * What core asks a driver's new stream socket to be: the family and type, and the stream's
 * high-water marks when the caller gave them (validated integers ≥ 0; a driver builds its Duplex
 * with them, and with Node's defaults when they are absent).
 */
export interface StreamSocketOptions {
  family: 'ipv4' | 'ipv6';
  type: 'stream' | 'dgram';
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

/**
 * What a backend implements: mechanisms only. Core's {@link defineBackend} validates every input,
 * enforces the call order and turns the driver's streams into `SecureSocket`s, so a driver method
 * is only ever called with normalized input in a legal state.
 */
export interface BackendDriver {
  /** Backend name (`'sim'`, `'native-win'`). */
  readonly name: string;
  /**
   * A new unconnected stream socket. Core only asks for `type: 'stream'` here; datagram sockets go
   * through {@link BackendDriver.createDatagramSocket}.
   */
  createSocket(opts: StreamSocketOptions): SocketDriver;
  /**
   * A new datagram socket (optional: without it, core answers `createSocket({ type: 'dgram' })`
   * with `WSAEOPNOTSUPP`). Core validates every input and enforces the datagram call order.
   */
  createDatagramSocket?(opts: { family: 'ipv4' | 'ipv6' }, events: DatagramDriverEvents): DatagramDriver;
  /**
   * A listening socket secured with `security` before bind. `pauseOnConnect` (net.Server's option):
   * the streams of accepted connections start paused and read nothing until resumed, as net's
   * `pauseOnCreate` handles (core also pauses them; a driver whose stream reads at once must not).
   */
  createServer(
    opts: { family: 'ipv4' | 'ipv6'; security: NormalizedSecuritySettings; pauseOnConnect?: boolean },
    events: ServerDriverEvents,
  ): ServerDriver;
  /** Host names to try for a connect, in order (IP literals pass through). */
  resolve?(host: string, family: 'ipv4' | 'ipv6' | undefined): Promise<NormalizedAddress[]>;
  currentIdentity(): Principal;
  revertImpersonation(): void;
  /** Called with a token from this backend and a validated mask; parses the SDDL itself. */
  accessCheck(token: PeerToken, sddl: string, desiredAccess: number): AccessCheckResult;
  /**
   * Adds validated policy descriptions (distinct keys), all or none (optional: without it, core
   * answers `addPolicies` with `WSAEOPNOTSUPP`). The returned `remove()` is called once.
   */
  addPolicies?(policies: readonly PolicyDescription[]): { remove(): void };
  close(): Promise<void>;
}

/** One socket's mechanisms. `stream` is the object users receive (core adds the secure methods). */
export interface SocketDriver {
  /** The Duplex users receive. Its `'close'` event ends the socket in core's state machine. */
  readonly stream: Duplex;
  setSecurity(settings: NormalizedSecuritySettings): void;
  setPeerTargetName(target: NormalizedPeerTargetName): void;
  deletePeerTargetName(peer: NormalizedAddress): void;
  /**
   * Connects to one resolved address; resolves after negotiation. Rejects with a SecureSocketError.
   * A failing connect rejects and leaves the stream to core (which destroys it with the error): a
   * stream the driver destroys without an error while connecting reads as the caller's `destroy()`,
   * which emits no `'error'`. `signal` aborts when the caller aborts or destroys the socket.
   */
  connect(
    address: NormalizedAddress,
    target: NormalizedConnectTarget,
    signal: AbortSignal | undefined,
  ): Promise<void>;
  querySecurity(query: NormalizedQuery): SecurityInfo;
  /**
   * The SAs of the connected socket (optional: without it, core answers
   * `querySecurityAssociations` with `WSAEOPNOTSUPP`). Only called once connected.
   */
  securityAssociations?(): SecurityAssociations;
  /** Runs fn as the peer and reverts before returning or throwing. */
  impersonatePeer<T>(fn: () => T, peer: NormalizedAddress | undefined): T;
}

/** Callbacks a server driver uses to hand connections to core. */
export interface ServerDriverEvents {
  /** A connection accepted and negotiated (or accepted in clear under allowInsecure). */
  connection(socket: SocketDriver): void;
  /** An incoming connection failed negotiation; it has been closed, nothing was delivered. */
  negotiationError(error: Error): void;
  /** The listening socket failed. */
  error(error: Error): void;
}

/** A listening socket's mechanisms. */
export interface ServerDriver {
  listen(host: string, port: number, backlog: number | undefined): Promise<NormalizedAddress>;
  /**
   * The bound address once the bind is done, else null. A backend whose bind is synchronous (as
   * net's is) answers right after `listen()` returns, so `server.address()` does too, as net's.
   */
  address?(): NormalizedAddress | null;
  /** Stop accepting (connections already accepted stay open). */
  close(): Promise<void>;
}

/** Callbacks a datagram driver uses to hand core what arrives. */
export interface DatagramDriverEvents {
  /** A datagram that passed the backend's checks (an SA's, or clear text under allowInsecure). */
  message(data: Buffer, from: NormalizedAddress): void;
  /** The socket failed; core closes it. */
  error(error: Error): void;
  /** The socket is closed (after {@link DatagramDriver.close} or a failure). Call it once. */
  close(): void;
}

/**
 * A datagram socket's mechanisms. Core calls each method with normalized input in a legal state:
 * security at most once before bind and before any send, target names only with a non-zero peer
 * address not yet sent to, queries and impersonation only with a non-zero peer address of the
 * socket's family, and nothing after close.
 */
export interface DatagramDriver {
  setSecurity(settings: NormalizedSecuritySettings): void;
  /** `target.peerAddress` is always present. */
  setPeerTargetName(target: NormalizedPeerTargetName & { peerAddress: NormalizedAddress }): void;
  deletePeerTargetName(peer: NormalizedAddress): void;
  /** Binds; resolves with the bound address. Rejects with a SecureSocketError (or a Node error). */
  bind(address: NormalizedAddress): Promise<NormalizedAddress>;
  /** Sends one datagram (negotiating the peer's SA first if there is none). Called only once bound. */
  send(data: Buffer, peer: NormalizedAddress): Promise<void>;
  /** Throws `WSAEINVAL` when there is no SA (nor clear-text exchange) with that peer. */
  querySecurity(query: NormalizedQuery & { peerAddress: NormalizedAddress }): SecurityInfo;
  /** Runs fn as the peer and reverts before returning or throwing; `WSAEINVAL` for an unknown peer. */
  impersonatePeer<T>(fn: () => T, peer: NormalizedAddress): T;
  ref(): void;
  unref(): void;
  /** The backend's counters for this socket (datagrams sent, delivered, dropped by reason …), if it keeps any. */
  stats?(): Readonly<Record<string, number>>;
  /** Releases the socket; calls `events.close()` once done. */
  close(): void;
}
