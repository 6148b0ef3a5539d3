/**
 * The DatagramDriver of the sim: a UDP socket whose peers each get their own SA, negotiated with
 * the stream handshake on the first send to them (or the first negotiation datagram from them),
 * then carried in ESP-like datagrams checked against an RFC 4303 anti-replay window. Core has
 * already validated the input and the call order.
 * @module
 */
import { randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import {
  type DatagramDriver,
  type DatagramDriverEvents,
  datagramPeerKey,
  ikeErrorName,
  type NormalizedAddress,
  type NormalizedPeerTargetName,
  type NormalizedQuery,
  type NormalizedSecuritySettings,
  SecureSocketError,
  type SecurityInfo,
  toSecureSocketError,
} from '@wsasec/core';
import { machineNames, partyOf, type SimContext } from '../context.js';
import { debug } from '../diagnostics.js';
import { HandshakeError, IKE } from '../negotiation/handshake.js';
import type { Negotiated } from '../negotiation/negotiation.js';
import { type EffectivePolicy, resolvePolicy } from '../policy/policy.js';
import { type Account, policyStore } from '../realm/realm.js';
import { machineHoldsName } from '../realm/target-names.js';
import { InitiatorExchange, ResponderTable } from './negotiate.js';
import { type InboundSa, impersonatePeerOf, type PeerState, peerSaOf, queryPeer } from './peers.js';
import { DEFAULT_REPLAY_WINDOW } from './replay.js';
import { classifyDatagram, ESP_OVERHEAD, openDatagram, sealDatagram } from './wire.js';

/** Options of sim datagram sockets. */
export interface SimDatagramOptions {
  /** Anti-replay window of every inbound SA, in sequence numbers (default 64). */
  replayWindow?: number;
}

/** The counters of one sim datagram socket (`socket.stats()`). */
export type SimDatagramStats = {
  /** Datagrams handed to UDP by `send` (protected or clear). */
  sent: number;
  /** Datagrams delivered as `'message'`. */
  delivered: number;
  /** ESP-like datagrams whose sequence number was already received. */
  droppedReplay: number;
  /** ESP-like datagrams older than the anti-replay window. */
  droppedOutOfWindow: number;
  /** ESP-like datagrams that failed authentication (tampered, or wrong keys). */
  droppedIntegrity: number;
  /** ESP-like datagrams for an SPI this socket does not hold. */
  droppedNoSa: number;
  /** Authenticated datagrams whose source address is not the SA's peer. */
  droppedSpoofed: number;
  /** Clear-text datagrams from a peer without an SA (refused without allowInsecure). */
  droppedClear: number;
  /** Datagrams of the model's format that do not parse. */
  droppedMalformed: number;
  /** SAs established (either role). */
  negotiations: number;
  /** Negotiation records sent again (ours or answers to the peer's retransmissions). */
  retransmissions: number;
};

function emptyStats(): SimDatagramStats {
  return {
    sent: 0,
    delivered: 0,
    droppedReplay: 0,
    droppedOutOfWindow: 0,
    droppedIntegrity: 0,
    droppedNoSa: 0,
    droppedSpoofed: 0,
    droppedClear: 0,
    droppedMalformed: 0,
    negotiations: 0,
    retransmissions: 0,
  };
}

const UDP_MAX_PAYLOAD = 65_507;

/** One sim datagram socket. */
export class SimDatagramDriver implements DatagramDriver {
  readonly #ctx: SimContext;
  readonly #family: 'ipv4' | 'ipv6';
  readonly #events: DatagramDriverEvents;
  readonly #windowSize: number;
  readonly #stats = emptyStats();
  #udp: dgram.Socket | undefined;
  #closed = false;
  #policy: EffectivePolicy | undefined;
  #protocol: 0 | 1 | 2 = 0;
  readonly #names = new Map<string, NormalizedPeerTargetName>();
  readonly #peers = new Map<string, PeerState>();
  readonly #inbound = new Map<number, InboundSa>();
  readonly #exchanges = new Map<string, InitiatorExchange>();
  readonly #responders: ResponderTable;

  constructor(
    ctx: SimContext,
    family: 'ipv4' | 'ipv6',
    events: DatagramDriverEvents,
    opts: SimDatagramOptions = {},
  ) {
    this.#ctx = ctx;
    this.#family = family;
    this.#events = events;
    this.#windowSize = opts.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    this.#responders = new ResponderTable({
      party: () => (this.#policy?.protect ? partyOf(ctx, this.#policy) : undefined),
      timeout: ctx.options.handshakeTimeout,
      maxExchanges: ctx.options.maxConcurrentHandshakes,
      counters: this.#stats,
    });
  }

  /** Mirrors `WSASetSocketSecurity`: resolves the effective policy now (an unknown key fails here). */
  setSecurity(settings: NormalizedSecuritySettings): void {
    this.#policy = resolvePolicy(settings, policyStore(this.#ctx.realm));
    this.#protocol = settings.protocol;
  }

  /** Mirrors `WSASetSocketPeerTargetName` for one peer. */
  setPeerTargetName(target: NormalizedPeerTargetName & { peerAddress: NormalizedAddress }): void {
    this.#names.set(datagramPeerKey(target.peerAddress), target);
  }

  /** Mirrors `WSADeleteSocketPeerTargetName`; port 0 deletes every name of that address. */
  deletePeerTargetName(peer: NormalizedAddress): void {
    this.#names.delete(datagramPeerKey(peer));
    if (peer.port !== 0) return;
    for (const [key, target] of this.#names) {
      if (target.peerAddress?.address === peer.address) this.#names.delete(key);
    }
  }

  bind(address: NormalizedAddress): Promise<NormalizedAddress> {
    const udp = dgram.createSocket({ type: this.#family === 'ipv4' ? 'udp4' : 'udp6' });
    this.#udp = udp;
    udp.on('message', (msg, rinfo) => this.#receive(msg, rinfo));
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        this.#udp = undefined;
        udp.close();
        reject(toSecureSocketError(error, 'bind'));
      };
      udp.once('error', onError);
      udp.bind({ address: address.address, port: address.port, exclusive: true }, () => {
        udp.off('error', onError);
        udp.on('error', (error) => this.#events.error(error));
        const bound = udp.address();
        resolve({ address: bound.address, port: bound.port, family: this.#family });
      });
    });
  }

  async send(data: Buffer, peer: NormalizedAddress): Promise<void> {
    const policy = this.#policy;
    if (!policy?.protect) return this.#sendRaw(data, peer);
    const key = datagramPeerKey(peer);
    let state = this.#peers.get(key);
    if (!state) {
      const exchange = this.#exchanges.get(key) ?? this.#initiate(peer, key, policy);
      try {
        this.#install(peer, await exchange.promise);
      } catch (error) {
        if (
          error instanceof HandshakeError &&
          error.ikeCode === IKE.ERROR_IPSEC_IKE_TIMED_OUT &&
          !error.fromPeer &&
          policy.allowInsecure &&
          !policy.guaranteeEncryption
        ) {
          debug(
            'datagram peer %s:%d does not speak the model; clear text (allowInsecure)',
            peer.address,
            peer.port,
          );
          this.#peers.set(key, { secured: false, negotiationError: error.ikeCode });
        } else {
          throw failure(error);
        }
      } finally {
        if (this.#exchanges.get(key) === exchange) this.#exchanges.delete(key);
      }
      state = this.#peers.get(key) as PeerState;
    }
    if (!state.secured) return this.#sendRaw(data, peer);
    if (data.length + ESP_OVERHEAD > UDP_MAX_PAYLOAD) {
      throw new SecureSocketError(
        'WSAEMSGSIZE',
        `WSASendTo: a protected datagram carries at most ${UDP_MAX_PAYLOAD - ESP_OVERHEAD} bytes, got ${data.length}`,
        { syscall: 'WSASendTo' },
      );
    }
    const seq = state.nextSeq++;
    await this.#sendRaw(sealDatagram(state.outbound, state.transform, seq, data), peer);
  }

  #initiate(peer: NormalizedAddress, key: string, policy: EffectivePolicy): InitiatorExchange {
    const target = this.#names.get(key) ?? this.#names.get(datagramPeerKey({ ...peer, port: 0 }));
    const allowClear = policy.allowInsecure && !policy.guaranteeEncryption;
    const exchange = new InitiatorExchange({
      party: partyOf(this.#ctx, policy),
      exchangeId: randomBytes(4).readUInt32BE(0),
      timeout: allowClear
        ? Math.min(this.#ctx.options.clearFallbackDelay, this.#ctx.options.handshakeTimeout)
        : this.#ctx.options.handshakeTimeout,
      send: (datagram) => this.#udp?.send(datagram, peer.port, peer.address),
      checkPeer: (account: Account) => {
        if (!target) return;
        if (machineHoldsName(machineNames(this.#ctx.realm, account), target.name, policy.rawPeerName)) return;
        if (policy.optionalPeerName) return;
        throw new SecureSocketError(
          'ERR_WSASEC_PEER_NAME_MISMATCH',
          `the peer at ${peer.address}:${peer.port} authenticated as ${this.#ctx.realm.domain}\\${account.name}, which does not hold the target name ${JSON.stringify(target.name)}`,
          { syscall: 'WSASendTo', negotiationError: IKE.ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE },
        );
      },
      counters: this.#stats,
    });
    this.#exchanges.set(key, exchange);
    return exchange;
  }

  #install(peer: NormalizedAddress, negotiated: Negotiated): void {
    const { sa, inbound } = peerSaOf(peer, negotiated, this.#windowSize);
    this.#peers.set(datagramPeerKey(peer), sa);
    this.#inbound.set(inbound.material.spi, inbound);
    this.#stats.negotiations++;
  }

  #sendRaw(data: Buffer, peer: NormalizedAddress): Promise<void> {
    const udp = this.#udp;
    if (!udp || this.#closed) {
      return Promise.reject(
        new SecureSocketError('WSAENOTSOCK', 'WSASendTo: the socket is closed', { syscall: 'WSASendTo' }),
      );
    }
    return new Promise((resolve, reject) => {
      udp.send(data, peer.port, peer.address, (error) => {
        if (error) reject(toSecureSocketError(error, 'WSASendTo'));
        else {
          this.#stats.sent++;
          resolve();
        }
      });
    });
  }

  #receive(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.#closed) return;
    const peer: NormalizedAddress = { address: rinfo.address, port: rinfo.port, family: this.#family };
    const key = datagramPeerKey(peer);
    const policy = this.#policy;
    if (!policy?.protect) {
      this.#deliver(msg, peer);
      return;
    }
    const d = classifyDatagram(msg);
    switch (d.kind) {
      case 'clear': {
        const state = this.#peers.get(key);
        if (state?.secured === false || (!state && policy.allowInsecure)) {
          if (!state)
            this.#peers.set(key, { secured: false, negotiationError: IKE.ERROR_IPSEC_IKE_TIMED_OUT });
          this.#deliver(msg, peer);
        } else {
          this.#stats.droppedClear++;
        }
        return;
      }
      case 'malformed':
        this.#stats.droppedMalformed++;
        return;
      case 'negotiate': {
        const mine = this.#exchanges.get(key);
        if (mine && mine.exchangeId === d.exchangeId) {
          mine.receive(d.record);
          return;
        }
        const { reply, negotiated } = this.#responders.receive(key, d.exchangeId, d.record);
        if (negotiated) this.#install(peer, negotiated);
        if (reply) this.#udp?.send(reply, peer.port, peer.address);
        return;
      }
      case 'esp': {
        const inbound = this.#inbound.get(d.spi);
        if (!inbound) {
          this.#stats.droppedNoSa++;
          return;
        }
        const verdict = inbound.window.check(d.seq);
        if (verdict === 'replay') {
          this.#stats.droppedReplay++;
          return;
        }
        if (verdict === 'out-of-window') {
          this.#stats.droppedOutOfWindow++;
          return;
        }
        const plain = openDatagram(inbound.material, inbound.sa.transform, d.seq, d.header, d.body);
        if (!plain) {
          this.#stats.droppedIntegrity++;
          return;
        }
        if (datagramPeerKey(inbound.sa.peer) !== key) {
          // Authentic bytes from the wrong address: a copy replayed from elsewhere (IPsec binds SAs to addresses).
          this.#stats.droppedSpoofed++;
          return;
        }
        inbound.window.accept(d.seq);
        this.#deliver(plain, peer);
        return;
      }
    }
  }

  #deliver(data: Buffer, peer: NormalizedAddress): void {
    this.#stats.delivered++;
    this.#events.message(data, peer);
  }

  querySecurity(query: NormalizedQuery & { peerAddress: NormalizedAddress }): SecurityInfo {
    return queryPeer(this.#ctx, this.#peers.get(datagramPeerKey(query.peerAddress)), query, this.#protocol);
  }

  impersonatePeer<T>(fn: () => T, peer: NormalizedAddress): T {
    return impersonatePeerOf(this.#ctx, this.#peers.get(datagramPeerKey(peer)), peer, fn);
  }

  stats(): SimDatagramStats {
    return { ...this.#stats };
  }

  ref(): void {
    this.#udp?.ref();
  }

  unref(): void {
    this.#udp?.unref();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const closing = new SecureSocketError(
      'WSAENOTSOCK',
      'WSASendTo: the socket was closed during the negotiation',
      {
        syscall: 'WSASendTo',
      },
    );
    for (const exchange of this.#exchanges.values()) exchange.fail(closing);
    this.#exchanges.clear();
    this.#responders.clear();
    const udp = this.#udp;
    this.#udp = undefined;
    if (udp) udp.close(() => this.#events.close());
    else setImmediate(() => this.#events.close());
  }
}

function failure(error: unknown): SecureSocketError {
  if (SecureSocketError.isInstance(error)) return error;
  if (error instanceof HandshakeError) {
    const name = ikeErrorName(error.ikeCode) ?? String(error.ikeCode);
    return new SecureSocketError(
      'ERR_WSASEC_NEGOTIATION_FAILED',
      `IPsec negotiation failed (${name}): ${error.message}`,
      {
        syscall: 'WSASendTo',
        negotiationError: error.ikeCode,
        cause: error,
      },
    );
  }
  return toSecureSocketError(error, 'WSASendTo');
}
