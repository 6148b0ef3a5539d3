import type { Duplex } from 'node:stream';
import type {
  NormalizedAddress,
  NormalizedConnectTarget,
  NormalizedPeerTargetName,
  NormalizedQuery,
  NormalizedSecuritySettings,
} from './normalized.js';
import type { AccessCheckResult, PeerToken, Principal, SecurityInfo } from './types.js';

/**
 * What a backend implements: mechanisms only. Core's {@link defineBackend} validates every input,
 * enforces the call order and turns the driver's streams into `SecureSocket`s, so a driver method
 * is only ever called with normalized input in a legal state.
 */
export interface BackendDriver {
  /** Backend name (`'sim'`, `'native-win'`). */
  readonly name: string;
  /** A new unconnected socket of the given family and type. */
  createSocket(opts: { family: 'ipv4' | 'ipv6'; type: 'stream' | 'dgram' }): SocketDriver;
  /** A listening socket secured with `security` before bind. */
  createServer(
    opts: { family: 'ipv4' | 'ipv6'; security: NormalizedSecuritySettings },
    events: ServerDriverEvents,
  ): ServerDriver;
  /** Host names to try for a connect, in order (IP literals pass through). */
  resolve?(host: string, family: 'ipv4' | 'ipv6' | undefined): Promise<NormalizedAddress[]>;
  currentIdentity(): Principal;
  revertImpersonation(): void;
  /** Called with a token from this backend and a validated mask; parses the SDDL itself. */
  accessCheck(token: PeerToken, sddl: string, desiredAccess: number): AccessCheckResult;
  close(): Promise<void>;
}

/** One socket's mechanisms. `stream` is the object users receive (core adds the secure methods). */
export interface SocketDriver {
  /** The Duplex users receive. Its `'close'` event ends the socket in core's state machine. */
  readonly stream: Duplex;
  setSecurity(settings: NormalizedSecuritySettings): void;
  setPeerTargetName(target: NormalizedPeerTargetName): void;
  deletePeerTargetName(peer: NormalizedAddress): void;
  /** Connects to one resolved address; resolves after negotiation. Rejects with a SecureSocketError. */
  connect(
    address: NormalizedAddress,
    target: NormalizedConnectTarget,
    signal: AbortSignal | undefined,
  ): Promise<void>;
  querySecurity(query: NormalizedQuery): SecurityInfo;
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
  /** Stop accepting (connections already accepted stay open). */
  close(): Promise<void>;
}
