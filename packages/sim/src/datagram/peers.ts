/**
 * What a sim datagram socket knows of each peer: an SA (both directions' keys, the inbound
 * anti-replay window, who authenticated) or a clear-text exchange allowed by allowInsecure; and
 * what `WSAQuerySocketSecurity` and `WSAImpersonateSocketPeer` make of it.
 * @module
 */
import {
  createSecurityInfo,
  type NormalizedAddress,
  type NormalizedQuery,
  SecureSocketError,
  type SecurityInfo,
  SOCKET_INFO_CONNECTION_ENCRYPTED,
  SOCKET_INFO_CONNECTION_IMPERSONATED,
  SOCKET_INFO_CONNECTION_SECURED,
} from '@wsasec/core';
import { openPeerToken } from '../access/tokens.js';
import type { SimContext } from '../context.js';
import type { Negotiated } from '../negotiation/negotiation.js';
import { deriveSa, type QuickModeRoot, quickModeSaId, type SaKeyMaterial } from '../negotiation/sa-keys.js';
import type { Transform } from '../policy/policy.js';
import { type Account, principalOf, tokenGroups } from '../realm/realm.js';
import { ReplayWindow } from './replay.js';

const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/** One direction's SA as the sender uses it. */
export interface OutboundDatagramSa {
  readonly material: SaKeyMaterial;
  /** Next sequence number (the first datagram under an SA carries 1). */
  nextSeq: bigint;
  /** Payload bytes protected under this SA so far. */
  bytes: number;
  /** When this SA took over (ms, from the backend clock). */
  readonly startedAt: number;
}

/**
 * A peer with a security association: one outbound SA and one current inbound SA, each rekeyed on
 * its own (generation 0 from the negotiation, then 1, 2 …), plus the inbound SA that the current one
 * replaced, kept for the rekey grace window.
 */
export interface PeerSa {
  readonly secured: true;
  readonly peer: NormalizedAddress;
  readonly transform: Transform;
  readonly role: 'initiator' | 'responder';
  readonly root: QuickModeRoot;
  /** SPI of the peer's generation-0 inbound SA: generation g of our outbound SA uses SPI + g. */
  readonly outboundBaseSpi: number;
  /** SPI of our generation-0 inbound SA: generation g of the peer's outbound SA uses SPI + g. */
  readonly inboundBaseSpi: number;
  outbound: OutboundDatagramSa;
  inbound: InboundSa;
  /** The inbound SA before the current one, accepted until its `retiresAt`. */
  previous: InboundSa | undefined;
  /** Quick-mode SA id of the current generations (changes on every rekey, either direction). */
  qmSaId: bigint;
  /** The QM SA id a query with `abortOnFieldChange` watched (undefined: not watched). */
  watchedQmSaId: bigint | undefined;
  /** Torn down by abort-on-change: nothing more is sent to or accepted from this peer. */
  aborted: boolean;
  readonly peerMachine: Account;
  readonly peerUser: Account | undefined;
  readonly impersonated: boolean;
  readonly mmSaId: bigint;
  readonly saLookupContext: string;
}

/** A peer exchanging clear text (allowInsecure, or a socket without security). */
export interface PeerClear {
  readonly secured: false;
  readonly negotiationError: number;
}

/** What a socket knows of one peer. */
export type PeerState = PeerSa | PeerClear;

/** An inbound SA, found by the SPI of a received datagram. */
export interface InboundSa {
  readonly sa: PeerSa;
  readonly material: SaKeyMaterial;
  readonly window: ReplayWindow;
  /** Set once a newer inbound SA took over: refused from then on (ms, backend clock). */
  retiresAt?: number;
}

/** Domain separation of the datagram rekey keys from every other use of `deriveSa`. */
const DGRAM_REKEY_INFO = Buffer.from('wsasec-sim/1 datagram rekey');

/** The SPI generation `generation` of an SA chain uses (generation 0 is the negotiated one). */
export function spiOf(baseSpi: number, generation: number): number {
  return (baseSpi + generation) >>> 0;
}

/** The generation an SPI names in a chain (mod 2^32; meaningful only near the current one). */
export function generationOf(baseSpi: number, spi: number): number {
  return (spi - baseSpi) >>> 0;
}

/** Keys of generation `generation` (≥ 1) of one direction of `sa`. */
export function rekeyedMaterial(
  sa: PeerSa,
  direction: 'outbound' | 'inbound',
  generation: number,
): SaKeyMaterial {
  const initiatorSends = (sa.role === 'initiator') === (direction === 'outbound');
  return deriveSa(
    sa.root,
    initiatorSends ? 'initiator-to-responder' : 'responder-to-initiator',
    generation,
    spiOf(direction === 'outbound' ? sa.outboundBaseSpi : sa.inboundBaseSpi, generation),
    DGRAM_REKEY_INFO,
  );
}

/** The QM SA id of `sa` at its current generations (as the stream path computes it). */
export function currentQmSaId(sa: PeerSa): bigint {
  const out = sa.outbound.material.generation;
  const inb = sa.inbound.material.generation;
  return sa.role === 'initiator' ? quickModeSaId(sa.root, out, inb) : quickModeSaId(sa.root, inb, out);
}

/** Builds the SA pair of a completed negotiation with `peer`. */
export function peerSaOf(
  peer: NormalizedAddress,
  negotiated: Negotiated,
  windowSize: number,
  now: number,
): { sa: PeerSa; inbound: InboundSa } {
  const sa = {
    secured: true,
    peer,
    transform: negotiated.transform,
    role: negotiated.role,
    root: negotiated.root,
    outboundBaseSpi: negotiated.outbound.spi,
    inboundBaseSpi: negotiated.inbound.spi,
    outbound: { material: negotiated.outbound, nextSeq: 1n, bytes: 0, startedAt: now },
    previous: undefined,
    qmSaId: quickModeSaId(negotiated.root, 0, 0),
    watchedQmSaId: undefined,
    aborted: false,
    peerMachine: negotiated.peerMachine,
    peerUser: negotiated.peerUser,
    impersonated: negotiated.impersonated,
    mmSaId: negotiated.mmSaId,
    saLookupContext: negotiated.saLookupContext,
  } as Omit<PeerSa, 'inbound'> as PeerSa;
  const inbound: InboundSa = { sa, material: negotiated.inbound, window: new ReplayWindow(windowSize) };
  sa.inbound = inbound;
  return { sa, inbound };
}

/** The error of every call about a peer whose SA abort-on-change tore down. */
export function abortedPeer(syscall: string, peer: NormalizedAddress): SecureSocketError {
  return new SecureSocketError(
    'WSAECONNABORTED',
    `${syscall}: the security association with ${peer.address}:${peer.port} was torn down: its quick-mode SA changed on rekey and a query asked to abort on a change of that field (SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE)`,
    { syscall },
  );
}

function unknownPeer(syscall: string, peer: NormalizedAddress): SecureSocketError {
  return new SecureSocketError(
    'WSAEINVAL',
    `${syscall}: no security association with ${peer.address}:${peer.port}; send to the peer or receive from it first`,
    { syscall },
  );
}

/**
 * `WSAQuerySocketSecurity` for one peer.
 * @throws SecureSocketError `WSAEINVAL` (unknown peer), `WSAECONNABORTED` (its SA was torn down by
 *   abort-on-change).
 */
export function queryPeer(
  ctx: SimContext,
  state: PeerState | undefined,
  query: NormalizedQuery & { peerAddress: NormalizedAddress },
  protocol: 0 | 1 | 2,
): SecurityInfo {
  if (!state) throw unknownPeer('WSAQuerySocketSecurity', query.peerAddress);
  if (state.secured && state.aborted) throw abortedPeer('WSAQuerySocketSecurity', query.peerAddress);
  let flags = 0;
  if (state.secured) {
    flags |= SOCKET_INFO_CONNECTION_SECURED;
    if (state.transform === 'encryption') flags |= SOCKET_INFO_CONNECTION_ENCRYPTED;
    if (state.impersonated) flags |= SOCKET_INFO_CONNECTION_IMPERSONATED;
  }
  const token = (kind: 'application' | 'machine', account: Account | undefined) =>
    query.tokenAccess !== 0 && account
      ? openPeerToken(
          kind,
          principalOf(ctx.realm, account),
          tokenGroups(ctx.realm, account),
          query.tokenAccess,
        )
      : undefined;
  const machine = token('machine', state.secured ? state.peerMachine : undefined);
  const application = token('application', state.secured ? state.peerUser : undefined);
  return createSecurityInfo({
    protocol: state.secured ? protocol : 0,
    flags,
    peerApplicationToken: application,
    peerMachineToken: machine,
    ipsec2:
      query.protocol === 2
        ? {
            mmSaId: state.secured ? state.mmSaId : 0n,
            qmSaId: state.secured ? state.qmSaId : 0n,
            negotiationError: state.secured ? 0 : state.negotiationError,
            saLookupContext: state.secured ? state.saLookupContext : ZERO_GUID,
          }
        : undefined,
  });
}

/** `WSAImpersonateSocketPeer` for one peer: its user, else its machine. */
export function impersonatePeerOf<T>(
  ctx: SimContext,
  state: PeerState | undefined,
  peer: NormalizedAddress,
  fn: () => T,
): T {
  const syscall = 'WSAImpersonateSocketPeer';
  if (!state) throw unknownPeer(syscall, peer);
  if (state.secured && state.aborted) throw abortedPeer(syscall, peer);
  if (!state.secured) {
    throw new SecureSocketError(
      'WSAEINVAL',
      `${syscall}: ${peer.address}:${peer.port} exchanges clear text, so no peer was authenticated to impersonate`,
      { syscall },
    );
  }
  return ctx.identity.run(principalOf(ctx.realm, state.peerUser ?? state.peerMachine), fn);
}
