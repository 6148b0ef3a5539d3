/**
 * Core's datagram call-order rules around a backend's {@link DatagramDriver}: the one
 * `SecureDatagramSocket` implementation shared by every backend.
 * @module
 */
import { EventEmitter } from 'node:events';
import type {
  DatagramBindOptions,
  DatagramRemoteInfo,
  SecureDatagramSocket,
} from '../contract/datagram-types.js';
import type {
  PeerTargetName,
  QueryOptions,
  SecurityInfo,
  SecuritySettings,
  SocketAddress,
} from '../contract/types.js';
import type { DatagramDriver, DatagramDriverEvents } from '../driver/driver.js';
import { SecureSocketError } from '../errors/errors.js';
import { toSecureSocketError } from '../errors/node-errors.js';
import type { NormalizedAddress, NormalizedSecuritySettings } from '../validate/normalized.js';
import {
  checkKeys,
  describeValue,
  isPlainObject,
  normalizeAddress,
  normalizePeerTargetName,
  normalizeQuery,
  normalizeSecuritySettings,
} from '../validate/validate.js';
import { rejectThenable } from './impersonation.js';
import type { SocketPhase } from './socket.js';

/** Largest datagram payload `send` accepts (bytes): the IPv4 UDP maximum. Backends may refuse less. */
export const MAX_DATAGRAM_SIZE = 65_507;

const STATE = Symbol.for('wsasec.socketState');

/** The call-order state of a datagram socket, as {@link socketState} shows it. */
interface DatagramState {
  phase: SocketPhase;
  readonly type: 'dgram';
  readonly family: 'ipv4' | 'ipv6';
  security: NormalizedSecuritySettings | undefined;
  /** Target names, keyed `family|address|port`. */
  readonly targetNames: Map<string, string>;
  /** Peers this socket has sent to (their target names are fixed from then on). */
  readonly sentTo: Set<string>;
}

/** `family|address|port`: the key of a peer in a socket's per-peer tables. */
export function datagramPeerKey(peer: NormalizedAddress): string {
  return `${peer.family}|${peer.address}|${peer.port}`;
}

function isZeroAddress(peer: NormalizedAddress): boolean {
  return peer.port === 0 && (peer.address === '0.0.0.0' || peer.address === '::');
}

function isUnspecified(peer: NormalizedAddress): boolean {
  return peer.address === '0.0.0.0' || peer.address === '::';
}

/** The `SecureDatagramSocket` core hands out for `createSocket({ type: 'dgram' })`. */
export class GuardedDatagramSocket extends EventEmitter implements SecureDatagramSocket {
  readonly socketType = 'dgram' as const;
  readonly family: 'ipv4' | 'ipv6';
  readonly backendName: string;
  readonly #driver: DatagramDriver;
  readonly #state: DatagramState;
  #secured = false;
  #bound: NormalizedAddress | undefined;
  #binding: Promise<NormalizedAddress> | undefined;
  #closing = false;

  /**
   * @param create builds the driver with the events object this socket listens on.
   */
  constructor(
    family: 'ipv4' | 'ipv6',
    backendName: string,
    create: (events: DatagramDriverEvents) => DatagramDriver,
  ) {
    super();
    this.family = family;
    this.backendName = backendName;
    this.#state = {
      phase: 'created',
      type: 'dgram',
      family,
      security: undefined,
      targetNames: new Map(),
      sentTo: new Set(),
    };
    Object.defineProperty(this, STATE, { value: this.#state });
    this.#driver = create({
      message: (data, from) => {
        if (this.#state.phase === 'closed') return;
        const rinfo: DatagramRemoteInfo = {
          address: from.address,
          family: from.family === 'ipv4' ? 'IPv4' : 'IPv6',
          port: from.port,
          size: data.length,
        };
        this.emit('message', data, rinfo);
      },
      error: (error) => {
        if (this.#state.phase === 'closed') return;
        this.emit('error', toSecureSocketError(error, 'recv'));
        this.close();
      },
      close: () => {
        if (this.#state.phase === 'closed' && !this.#closing) return;
        this.#closing = false;
        this.#state.phase = 'closed';
        this.emit('close');
      },
    });
  }

  get closed(): boolean {
    return this.#state.phase === 'closed';
  }

  #live(syscall: string): void {
    if (this.#state.phase === 'closed') {
      throw new SecureSocketError('WSAENOTSOCK', `${syscall}: the socket is closed`, { syscall });
    }
  }

  #checkFamily(peer: NormalizedAddress, syscall: string): void {
    if (peer.family !== this.family) {
      throw new SecureSocketError(
        'WSAEAFNOSUPPORT',
        `${syscall}: the peer address is ${peer.family} but the socket is ${this.family}`,
        { syscall },
      );
    }
  }

  /** A peer address that must name one peer: present, of the socket's family, not all zero. */
  #peer(value: unknown, missing: 'WSAEFAULT' | 'WSAEMSGSIZE', syscall: string): NormalizedAddress {
    if (value === undefined || value === null) {
      throw new SecureSocketError(
        missing,
        `${syscall}: a datagram socket needs the peer address { address, port }`,
        { syscall },
      );
    }
    const peer = normalizeAddress(value, 'peerAddress', syscall);
    this.#checkFamily(peer, syscall);
    if (isZeroAddress(peer)) {
      throw new SecureSocketError(
        'WSAEINVAL',
        `${syscall}: peerAddress must have a non-zero IP address or port`,
        { syscall },
      );
    }
    return peer;
  }

  setSecurity(settings?: SecuritySettings): void {
    const syscall = 'WSASetSocketSecurity';
    this.#live(syscall);
    if (this.#secured) {
      throw new SecureSocketError(
        'WSAEINVAL',
        'WSASetSocketSecurity: security is set once per socket and was already set',
        { syscall },
      );
    }
    if (this.#state.phase === 'bound' || this.#binding || this.#state.sentTo.size > 0) {
      throw new SecureSocketError(
        'WSAEINVAL',
        'WSASetSocketSecurity: the datagram socket is already bound or has sent; set security before bind and before the first send',
        { syscall },
      );
    }
    const normalized = normalizeSecuritySettings(settings, syscall);
    this.#driver.setSecurity(normalized);
    this.#secured = true;
    this.#state.security = normalized;
  }

  setPeerTargetName(target: PeerTargetName): void {
    const syscall = 'WSASetSocketPeerTargetName';
    this.#live(syscall);
    const normalized = normalizePeerTargetName(target, this.#state.security?.protocol ?? 0, syscall);
    if (normalized.peerAddress) this.#checkFamily(normalized.peerAddress, syscall);
    const peer = normalized.peerAddress;
    if (!peer || isZeroAddress(peer)) {
      throw new SecureSocketError(
        'WSAEINVAL',
        'WSASetSocketPeerTargetName: a datagram socket needs a peerAddress with a non-zero IP address or port',
        { syscall },
      );
    }
    const key = datagramPeerKey(peer);
    if (this.#state.sentTo.has(key)) {
      throw new SecureSocketError(
        'WSAEINVAL',
        `WSASetSocketPeerTargetName: this socket already sent to ${peer.address}:${peer.port}; set a peer's target name before the first send to it`,
        { syscall },
      );
    }
    this.#driver.setPeerTargetName({ ...normalized, peerAddress: peer });
    this.#state.targetNames.set(key, normalized.name);
  }

  deletePeerTargetName(peerAddress: SocketAddress): void {
    const syscall = 'WSADeleteSocketPeerTargetName';
    this.#live(syscall);
    const peer = normalizeAddress(peerAddress, 'peerAddress', syscall);
    this.#checkFamily(peer, syscall);
    this.#driver.deletePeerTargetName(peer);
    this.#state.targetNames.delete(datagramPeerKey(peer));
  }

  async bind(opts: DatagramBindOptions = {}) {
    const syscall = 'bind';
    this.#live(syscall);
    if (!isPlainObject(opts)) {
      throw new SecureSocketError(
        'WSAEINVAL',
        `bind options must be { address?, port? }, got ${describeValue(opts)}`,
        { syscall },
      );
    }
    checkKeys(opts, ['address', 'port'], 'bind options', syscall);
    if (this.#state.phase === 'bound' || this.#binding) {
      throw new SecureSocketError('WSAEINVAL', 'bind: the socket is already bound', { syscall });
    }
    const address = normalizeAddress(
      { address: opts.address ?? (this.family === 'ipv6' ? '::' : '0.0.0.0'), port: opts.port ?? 0 },
      'bind address',
      syscall,
    );
    this.#checkFamily(address, syscall);
    const bound = await this.#bind(address);
    return { address: bound.address, port: bound.port, family: bound.family };
  }

  #bind(address: NormalizedAddress): Promise<NormalizedAddress> {
    const syscall = 'bind';
    this.#binding = (async () => {
      try {
        const bound = await this.#driver.bind(address);
        this.#live(syscall);
        this.#bound = bound;
        this.#state.phase = 'bound';
        this.emit('listening');
        return bound;
      } catch (error) {
        this.#binding = undefined;
        throw toSecureSocketError(error, syscall);
      }
    })();
    return this.#binding;
  }

  async send(data: Buffer | Uint8Array | string, peerAddress: SocketAddress): Promise<void> {
    const syscall = 'WSASendTo';
    this.#live(syscall);
    let payload: Buffer;
    if (typeof data === 'string') payload = Buffer.from(data, 'utf8');
    else if (data instanceof Uint8Array) payload = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    else {
      throw new SecureSocketError(
        'WSAEINVAL',
        `send: data must be a Buffer, Uint8Array or string, got ${describeValue(data)}`,
        { syscall },
      );
    }
    if (payload.length > MAX_DATAGRAM_SIZE) {
      throw new SecureSocketError(
        'WSAEMSGSIZE',
        `send: a datagram carries at most ${MAX_DATAGRAM_SIZE} bytes, got ${payload.length}`,
        { syscall },
      );
    }
    const peer = normalizeAddress(peerAddress, 'peer', syscall);
    this.#checkFamily(peer, syscall);
    if (peer.port === 0 || isUnspecified(peer)) {
      throw new SecureSocketError(
        'WSAEADDRNOTAVAIL',
        `send: the peer needs a unicast IP address and a port from 1 to 65535, got ${peer.address}:${peer.port}`,
        { syscall },
      );
    }
    // From here on the peer's target name is part of its SA negotiation: it can no longer change.
    this.#state.sentTo.add(datagramPeerKey(peer));
    if (!this.#bound) {
      await (this.#binding ??
        this.#bind({ address: this.family === 'ipv6' ? '::' : '0.0.0.0', port: 0, family: this.family }));
    }
    this.#live(syscall);
    try {
      await this.#driver.send(payload, peer);
    } catch (error) {
      throw toSecureSocketError(error, syscall);
    }
  }

  querySecurity(query: QueryOptions & { peerAddress: SocketAddress }): SecurityInfo {
    const syscall = 'WSAQuerySocketSecurity';
    this.#live(syscall);
    const normalized = normalizeQuery(query, this.#state.security?.protocol ?? 0, syscall);
    const peer = this.#peer(normalized.peerAddress, 'WSAEMSGSIZE', syscall);
    return this.#driver.querySecurity({ ...normalized, peerAddress: peer });
  }

  impersonatePeer<T>(fn: () => T, peerAddress: SocketAddress): T {
    const syscall = 'WSAImpersonateSocketPeer';
    if (typeof fn !== 'function') {
      throw new SecureSocketError(
        'ERR_WSASEC_INVALID_ARGUMENT',
        'impersonatePeer needs a synchronous function to run as the peer',
        { syscall },
      );
    }
    this.#live(syscall);
    const peer = this.#peer(peerAddress, 'WSAEFAULT', syscall);
    return rejectThenable(this.#driver.impersonatePeer(fn, peer), syscall);
  }

  address() {
    if (!this.#bound) {
      throw new SecureSocketError('WSAEINVAL', 'address: the socket is not bound; call bind() or send()', {
        syscall: 'getsockname',
      });
    }
    return { address: this.#bound.address, port: this.#bound.port, family: this.#bound.family };
  }

  close(callback?: () => void): void {
    if (callback !== undefined && typeof callback !== 'function') {
      throw new SecureSocketError('ERR_WSASEC_INVALID_ARGUMENT', 'close: callback must be a function', {
        syscall: 'closesocket',
      });
    }
    if (this.#state.phase === 'closed') {
      if (callback && this.#closing) this.once('close', callback);
      else if (callback) queueMicrotask(callback);
      return;
    }
    if (callback) this.once('close', callback);
    this.#state.phase = 'closed';
    this.#closing = true;
    this.#driver.close();
  }

  stats(): Readonly<Record<string, number>> {
    return Object.freeze({ ...(this.#driver.stats?.() ?? {}) });
  }

  ref(): this {
    if (this.#state.phase !== 'closed') this.#driver.ref();
    return this;
  }

  unref(): this {
    if (this.#state.phase !== 'closed') this.#driver.unref();
    return this;
  }
}
