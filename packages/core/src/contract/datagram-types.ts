/**
 * The public datagram (UDP) socket: dgram-like I/O plus the per-peer secure socket functions.
 * @module
 */
import type { EventEmitter } from 'node:events';
import type { PeerTargetName, QueryOptions, SecurityInfo, SecuritySettings, SocketAddress } from './types.js';

/** Where a datagram came from, as Node's `dgram` reports it. */
export interface DatagramRemoteInfo {
  /** The sender's IP literal. */
  address: string;
  /** `'IPv4'` or `'IPv6'`, as `dgram` spells it. */
  family: 'IPv4' | 'IPv6';
  /** The sender's UDP port. */
  port: number;
  /** Bytes of payload delivered (after the backend removed its protection). */
  size: number;
}

/** Options of {@link SecureDatagramSocket.bind}. */
export interface DatagramBindOptions {
  /** IP literal to bind (default: the wildcard of the socket's family, `0.0.0.0` or `::`). */
  address?: string;
  /** UDP port (0 or absent: any free port). */
  port?: number;
}

/**
 * A datagram socket secured by a backend, shaped like Node's `dgram.Socket`. Security is per peer:
 * the first send to a peer address negotiates its security association (SA) with the target name
 * set for that address; datagrams are then protected by that SA. Emits `'message'`
 * `(msg: Buffer, rinfo: DatagramRemoteInfo)` for datagrams that passed the backend's checks,
 * `'listening'` once bound, `'error'` and `'close'`.
 *
 * Every method goes through core's datagram call-order rules, identical for all backends.
 */
export interface SecureDatagramSocket extends EventEmitter {
  /** Always `'dgram'`. */
  readonly socketType: 'dgram';
  /** `'ipv4'` or `'ipv6'`. */
  readonly family: 'ipv4' | 'ipv6';
  /** The backend that made this socket. */
  readonly backendName: string;
  /** True once `close()` was called or the socket failed. */
  readonly closed: boolean;
  /**
   * Mirrors `WSASetSocketSecurity`. Call once, before bind and before the first send.
   * @throws SecureSocketError `WSAEINVAL` (bad settings, second call, after bind or a send),
   *   `WSAENOTSOCK` (closed), `WSAEMSGSIZE` (a string too long), `WSAEOPNOTSUPP` (policy not supported).
   */
  setSecurity(settings?: SecuritySettings): void;
  /**
   * Mirrors `WSASetSocketPeerTargetName` for one peer: `peerAddress` is required and must have a
   * non-zero IP address or port. Call it before the first send to that peer; names of different
   * peers are independent.
   * @throws SecureSocketError `WSAEINVAL` (missing or zero peer address, bad name, the socket already
   *   sent to that peer), `WSAEFAULT` (no name), `WSAEAFNOSUPPORT` (family), `WSAEMSGSIZE` (name too
   *   long), `WSAENOTSOCK` (closed).
   */
  setPeerTargetName(target: PeerTargetName): void;
  /**
   * Mirrors `WSADeleteSocketPeerTargetName`: later negotiations with that peer use no name. Deleting a
   * name that was never set succeeds.
   * @throws SecureSocketError `WSAEFAULT` (no address), `WSAEINVAL`, `WSAEAFNOSUPPORT`, `WSAENOTSOCK`.
   */
  deletePeerTargetName(peerAddress: SocketAddress): void;
  /**
   * Mirrors `bind`. Resolves with the bound address and emits `'listening'`.
   * @throws SecureSocketError `WSAEINVAL` (already bound, bad options), `WSAEAFNOSUPPORT` (address of
   *   the other family), `WSAEADDRINUSE`, `WSAEADDRNOTAVAIL`, `WSAENOTSOCK` (closed).
   */
  bind(opts?: DatagramBindOptions): Promise<{ address: string; port: number; family: 'ipv4' | 'ipv6' }>;
  /**
   * Mirrors `WSASendTo`: sends one datagram to `peer`, binding the wildcard address first if the socket
   * is not bound. The first send to a peer negotiates its SA; under `allowInsecure` a failed
   * negotiation sends in clear text.
   * @throws SecureSocketError `WSAEINVAL` (data not a Buffer, Uint8Array or string), `WSAEADDRNOTAVAIL`
   *   (zero address or port 0), `WSAEAFNOSUPPORT` (family), `WSAEMSGSIZE` (datagram too large),
   *   `WSAENOTSOCK` (closed), `ERR_WSASEC_NEGOTIATION_FAILED`, `ERR_WSASEC_PEER_NAME_MISMATCH`,
   *   `WSAETIMEDOUT` (the peer never answered the negotiation), `WSAECONNABORTED` (the peer's SA was
   *   torn down: its quick-mode SA changed on rekey under an abort-on-change IPSEC2 query).
   */
  send(data: Buffer | Uint8Array | string, peer: SocketAddress): Promise<void>;
  /**
   * Mirrors `WSAQuerySocketSecurity` with a template carrying the peer's address. The result owns the
   * peer tokens: close it (or `using`).
   * @throws SecureSocketError `WSAEMSGSIZE` (no `peerAddress`: the template is required), `WSAEINVAL`
   *   (zero address and port, bad options, or no SA with that peer), `WSAEAFNOSUPPORT`, `WSAENOTSOCK`,
   *   `WSAECONNABORTED` (the peer's SA was torn down by abort-on-change, see `send`).
   */
  querySecurity(opts: QueryOptions & { peerAddress: SocketAddress }): SecurityInfo;
  /**
   * Mirrors `WSAImpersonateSocketPeer(s, peerAddr)` … `WSARevertImpersonation`: runs `fn` synchronously
   * as that peer (its user, else its machine) and always reverts.
   * @throws SecureSocketError `WSAEFAULT` (no peer address), `WSAEINVAL` (zero address and port, or no
   *   SA with that peer), `WSAEAFNOSUPPORT`, `WSAENOTSOCK`, `ERR_WSASEC_ASYNC_IMPERSONATION`,
   *   `WSAECONNABORTED` (the peer's SA was torn down by abort-on-change, see `send`).
   */
  impersonatePeer<T>(fn: () => T, peerAddress: SocketAddress): T;
  /** The bound address (like `dgram.Socket.address()`). @throws SecureSocketError `WSAEINVAL` (not bound). */
  address(): { address: string; port: number; family: 'ipv4' | 'ipv6' };
  /**
   * The backend's counters for this socket, e.g. datagrams sent, delivered, and dropped as replayed
   * or out of the anti-replay window (names are the backend's; `{}` when it keeps none).
   */
  stats(): Readonly<Record<string, number>>;
  /** Closes the socket; `'close'` follows. Idempotent; `callback` runs on `'close'`. */
  close(callback?: () => void): void;
  /** Keeps the event loop alive while bound (the default). */
  ref(): this;
  /** Lets the process exit even while bound. */
  unref(): this;
}
