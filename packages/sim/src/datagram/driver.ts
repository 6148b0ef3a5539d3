/**
 * The DatagramDriver of the sim: a UDP socket whose peers each get their own SA, negotiated with
 * the stream handshake on the first send to them (or the first negotiation datagram from them),
 * then carried in ESP-like datagrams checked against an RFC 4303 anti-replay window. Each direction
 * of an SA is rekeyed by its sender at the end of the policy's lifetime; the receiver keeps the SA
 * it replaced for a grace window, so datagrams in flight across a rekey are still delivered. Core
 * has already validated the input and the call order.
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
  SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID,
  toSecureSocketError,
} from '@wsasec/core';
import { machineNames, partyOf, type SimContext } from '../context.js';
import { debug, publish } from '../diagnostics.js';
import { HandshakeError, IKE } from '../negotiation/handshake.js';
import type { Negotiated } from '../negotiation/negotiation.js';
import { type EffectivePolicy, type Lifetime, resolvePolicy } from '../policy/policy.js';
import { type Account, policyStore } from '../realm/realm.js';
import { machineHoldsName } from '../realm/target-names.js';
import { InitiatorExchange, ResponderTable } from './negotiate.js';
import {
  abortedPeer,
  currentQmSaId,
  generationOf,
  type InboundSa,
  impersonatePeerOf,
  type PeerSa,
  type PeerState,
  peerSaOf,
  queryPeer,
  rekeyedMaterial,
} from './peers.js';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replay.js';
import { classifyDatagram, ESP_OVERHEAD, openDatagram, sealDatagram } from './wire.js';

/** Options of sim datagram sockets. */
export interface SimDatagramOptions {
  /** Anti-replay window of every inbound SA, in sequence numbers (default 64). */
  replayWindow?: number;
  /**
   * How long an inbound SA that a rekey replaced still accepts datagrams, in ms (default
   * {@link DEFAULT_REKEY_GRACE}; 0: refused as soon as the new SA authenticated a datagram).
   */
  rekeyGrace?: number;
}

/** Default grace window of a replaced inbound SA (ms). */
export const DEFAULT_REKEY_GRACE = 30_000;

/**
 * Generations a peer's outbound SA may move ahead of our inbound one without a datagram of the
 * ones between reaching us (all of theirs lost); further ahead, its datagrams are dropped as `droppedNoSa`.
 */
export const MAX_GENERATION_SKIP = 1024;

/** Largest sequence number an ESP-like datagram carries: the SA is rekeyed before it wraps. */
const MAX_SEQ = 2n ** 64n - 1n;

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
  /** ESP-like datagrams for an inbound SA that a rekey retired (its grace window is over). */
  droppedExpired: number;
  /** Datagrams from a peer whose SA abort-on-change tore down. */
  droppedAborted: number;
  /** SAs established (either role). */
  negotiations: number;
  /** Negotiation records sent again (ours or answers to the peer's retransmissions). */
  retransmissions: number;
  /** Outbound SAs replaced at the end of their lifetime. */
  rekeysOutbound: number;
  /** Inbound SAs replaced (the peer's first datagram under its next SA authenticated). */
  rekeysInbound: number;
  /** Negotiations this socket answered and refused: the initiator does not hold the target name set for it. */
  refusedPeerName: number;
  /** Peers whose SA was torn down because its QM SA id changed under an abort-on-change query. */
  aborted: number;
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
    droppedExpired: 0,
    droppedAborted: 0,
    negotiations: 0,
    retransmissions: 0,
    rekeysOutbound: 0,
    rekeysInbound: 0,
    refusedPeerName: 0,
    aborted: 0,
  };
}

const UDP_MAX_PAYLOAD = 65_507;

/** One sim datagram socket. */
export class SimDatagramDriver implements DatagramDriver {
  readonly #ctx: SimContext;
  readonly #family: 'ipv4' | 'ipv6';
  readonly #events: DatagramDriverEvents;
  readonly #windowSize: number;
  readonly #grace: number;
  readonly #stats = emptyStats();
  #udp: dgram.Socket | undefined;
  #closed = false;
  #policy: EffectivePolicy | undefined;
  #protocol: 0 | 1 | 2 = 0;
  readonly #names = new Map<string, NormalizedPeerTargetName>();
  readonly #peers = new Map<string, PeerState>();
  /** Inbound SAs by SPI (a list: SPIs of different peers' SAs may collide; the tag tells them apart). */
  readonly #inbound = new Map<number, InboundSa[]>();
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
    this.#grace = opts.rekeyGrace ?? DEFAULT_REKEY_GRACE;
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
    if (state?.secured && state.aborted) throw abortedPeer('WSASendTo', peer);
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
    if (state.aborted) throw abortedPeer('WSASendTo', peer);
    this.#rekeyIfExpired(state, policy.lifetime);
    // A rekey under an abort-on-change query tears the SA down before this datagram leaves.
    if (state.aborted) throw abortedPeer('WSASendTo', peer);
    const out = state.outbound;
    const seq = out.nextSeq++;
    out.bytes += data.length;
    await this.#sendRaw(sealDatagram(out.material, state.transform, seq, data), peer);
  }

  #now(): number {
    return this.#ctx.options.now();
  }

  /**
   * Replaces the outbound SA when it reached the lifetime (bytes or seconds, as the stream path) or
   * its last sequence number. The next generation's SPI and keys follow from the negotiation, so
   * the peer finds them from the first datagram that carries them: no message announces a rekey,
   * and none can be lost.
   */
  #rekeyIfExpired(state: PeerSa, lifetime: Required<Lifetime>): void {
    const out = state.outbound;
    const now = this.#now();
    if (out.bytes < lifetime.bytes && now - out.startedAt < lifetime.seconds * 1000 && out.nextSeq <= MAX_SEQ)
      return;
    const generation = out.material.generation + 1;
    state.outbound = {
      material: rekeyedMaterial(state, 'outbound', generation),
      nextSeq: 1n,
      bytes: 0,
      startedAt: now,
    };
    this.#stats.rekeysOutbound++;
    this.#rekeyed(state, 'outbound');
  }

  #rekeyed(state: PeerSa, direction: 'outbound' | 'inbound'): void {
    state.qmSaId = currentQmSaId(state);
    const { address, port } = state.peer;
    publish('rekey', () => ({ peerAddress: address, peerPort: port, direction, qmSaId: state.qmSaId }));
    debug('datagram peer %s:%d: %s SA rekeyed, QM SA id %s', address, port, direction, state.qmSaId);
    if (state.watchedQmSaId !== undefined && state.watchedQmSaId !== state.qmSaId) this.#abort(state);
  }

  /**
   * Abort-on-change for one peer: its SAs are deleted (both directions, and a replaced inbound SA in
   * its grace window), later sends to it and queries of it fail with `WSAECONNABORTED`, and its
   * datagrams are dropped (`droppedAborted`), for the rest of the socket's life. Other peers are
   * not touched.
   */
  #abort(state: PeerSa): void {
    state.aborted = true;
    this.#unindex(state.inbound);
    if (state.previous) this.#unindex(state.previous);
    state.previous = undefined;
    this.#stats.aborted++;
    debug(
      'datagram peer %s:%d: QM SA changed under abortOnFieldChange; SA torn down',
      state.peer.address,
      state.peer.port,
    );
  }

  #index(inbound: InboundSa): void {
    const list = this.#inbound.get(inbound.material.spi);
    if (list) list.push(inbound);
    else this.#inbound.set(inbound.material.spi, [inbound]);
  }

  #unindex(inbound: InboundSa): void {
    const list = this.#inbound.get(inbound.material.spi);
    if (!list) return;
    const rest = list.filter((i) => i !== inbound);
    if (rest.length > 0) this.#inbound.set(inbound.material.spi, rest);
    else this.#inbound.delete(inbound.material.spi);
  }

  /** Throws when `account` does not hold the target name set for `peer` (optional names only log). */
  #checkPeerName(peer: NormalizedAddress, account: Account, policy: EffectivePolicy, syscall: string): void {
    const key = datagramPeerKey(peer);
    const target = this.#names.get(key) ?? this.#names.get(datagramPeerKey({ ...peer, port: 0 }));
    if (!target) return;
    if (machineHoldsName(machineNames(this.#ctx.realm, account), target.name, policy.rawPeerName)) return;
    if (policy.optionalPeerName) {
      debug(
        'datagram peer %s:%d does not hold %s (optional peer name verification)',
        peer.address,
        peer.port,
        target.name,
      );
      return;
    }
    throw new SecureSocketError(
      'ERR_WSASEC_PEER_NAME_MISMATCH',
      `the peer at ${peer.address}:${peer.port} authenticated as ${this.#ctx.realm.domain}\\${account.name}, which does not hold the target name ${JSON.stringify(target.name)}`,
      { syscall, negotiationError: IKE.ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE },
    );
  }

  #initiate(peer: NormalizedAddress, key: string, policy: EffectivePolicy): InitiatorExchange {
    const allowClear = policy.allowInsecure && !policy.guaranteeEncryption;
    const exchange = new InitiatorExchange({
      party: partyOf(this.#ctx, policy),
      exchangeId: randomBytes(4).readUInt32BE(0),
      timeout: allowClear
        ? Math.min(this.#ctx.options.clearFallbackDelay, this.#ctx.options.handshakeTimeout)
        : this.#ctx.options.handshakeTimeout,
      send: (datagram) => this.#udp?.send(datagram, peer.port, peer.address),
      checkPeer: (account: Account) => this.#checkPeerName(peer, account, policy, 'WSASendTo'),
      counters: this.#stats,
    });
    this.#exchanges.set(key, exchange);
    return exchange;
  }

  #install(peer: NormalizedAddress, negotiated: Negotiated): void {
    const key = datagramPeerKey(peer);
    const before = this.#peers.get(key);
    if (before?.secured) {
      // A new negotiation with the same peer (it started over): its old SAs go.
      this.#unindex(before.inbound);
      if (before.previous) this.#unindex(before.previous);
    }
    const { sa, inbound } = peerSaOf(peer, negotiated, this.#windowSize, this.#now());
    this.#peers.set(key, sa);
    this.#index(inbound);
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
        if (state?.secured && state.aborted) {
          this.#stats.droppedAborted++;
          return;
        }
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
        const state = this.#peers.get(key);
        if (state?.secured && state.aborted) {
          this.#stats.droppedAborted++;
          return;
        }
        const mine = this.#exchanges.get(key);
        if (mine && mine.exchangeId === d.exchangeId) {
          mine.receive(d.record);
          return;
        }
        const { reply, negotiated, refused } = this.#responders.receive(
          key,
          d.exchangeId,
          d.record,
          (account) => this.#checkPeerName(peer, account, policy, 'WSARecvFrom'),
        );
        if (refused) {
          this.#stats.refusedPeerName++;
          debug(
            'datagram peer %s:%d refused as responder: %s',
            peer.address,
            peer.port,
            (refused as Error).message,
          );
        }
        if (negotiated) this.#install(peer, negotiated);
        if (reply) this.#udp?.send(reply, peer.port, peer.address);
        return;
      }
      case 'esp':
        this.#receiveEsp(d, peer, key);
        return;
    }
  }

  /**
   * An ESP-like datagram, in order: the SAs held for its SPI (a replaced one only within its grace
   * window), each checked against its anti-replay window, then authenticated, then bound to its
   * peer's address; failing those, the next generations of the sending peer's SA chain (its first
   * datagram under a new SA: the rekey).
   */
  #receiveEsp(
    d: Extract<ReturnType<typeof classifyDatagram>, { kind: 'esp' }>,
    peer: NormalizedAddress,
    key: string,
  ): void {
    const now = this.#now();
    let refusal: 'noSa' | 'replay' | 'window' | 'integrity' | 'expired' = 'noSa';
    for (const inbound of this.#inbound.get(d.spi) ?? []) {
      if (inbound.retiresAt !== undefined && now >= inbound.retiresAt) {
        this.#retire(inbound);
        refusal = 'expired';
        continue;
      }
      const verdict = inbound.window.check(d.seq);
      if (verdict !== 'new') {
        refusal = verdict === 'replay' ? 'replay' : 'window';
        continue;
      }
      const plain = openDatagram(inbound.material, inbound.sa.transform, d.seq, d.header, d.body);
      if (!plain) {
        refusal = 'integrity';
        continue;
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
    const state = this.#peers.get(key);
    if (state?.secured) {
      if (state.aborted) {
        this.#stats.droppedAborted++;
        return;
      }
      const current = state.inbound.material.generation;
      const generation = generationOf(state.inboundBaseSpi, d.spi);
      if (generation > current && generation - current <= MAX_GENERATION_SKIP) {
        const material = rekeyedMaterial(state, 'inbound', generation);
        const window = new ReplayWindow(this.#windowSize);
        const plain =
          window.check(d.seq) === 'new'
            ? openDatagram(material, state.transform, d.seq, d.header, d.body)
            : undefined;
        if (plain) {
          window.accept(d.seq);
          this.#promote(state, { sa: state, material, window }, now);
          // The rekey may have torn the SA down (abort-on-change): then this datagram is not delivered.
          if (state.aborted) {
            this.#stats.droppedAborted++;
            return;
          }
          this.#deliver(plain, peer);
          return;
        }
        refusal = 'integrity';
      } else if (refusal === 'noSa' && generation < current) {
        refusal = 'expired';
      }
    }
    if (refusal === 'noSa') this.#stats.droppedNoSa++;
    else if (refusal === 'replay') this.#stats.droppedReplay++;
    else if (refusal === 'window') this.#stats.droppedOutOfWindow++;
    else if (refusal === 'integrity') this.#stats.droppedIntegrity++;
    else this.#stats.droppedExpired++;
  }

  /** The peer's next SA authenticated a datagram: it becomes current; the one it replaces gets the grace window. */
  #promote(state: PeerSa, inbound: InboundSa, now: number): void {
    if (state.previous) this.#unindex(state.previous);
    const replaced = state.inbound;
    replaced.retiresAt = now + this.#grace;
    state.previous = replaced;
    if (this.#grace === 0) this.#retire(replaced);
    state.inbound = inbound;
    this.#index(inbound);
    this.#stats.rekeysInbound++;
    this.#rekeyed(state, 'inbound');
  }

  #retire(inbound: InboundSa): void {
    this.#unindex(inbound);
    if (inbound.sa.previous === inbound) inbound.sa.previous = undefined;
  }

  #deliver(data: Buffer, peer: NormalizedAddress): void {
    this.#stats.delivered++;
    this.#events.message(data, peer);
  }

  /**
   * `WSAQuerySocketSecurity` for one peer. With `abortOnFieldChange` and the QM SA id in the field
   * mask, the peer's SA is watched: a rekey (either direction) that changes its QM SA id tears it
   * down (see `#abort`).
   */
  querySecurity(query: NormalizedQuery & { peerAddress: NormalizedAddress }): SecurityInfo {
    const state = this.#peers.get(datagramPeerKey(query.peerAddress));
    const info = queryPeer(this.#ctx, state, query, this.#protocol);
    if (
      state?.secured &&
      query.ipsec2?.abortOnFieldChange &&
      query.ipsec2.fieldMask & SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID
    )
      state.watchedQmSaId = state.qmSaId;
    return info;
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
