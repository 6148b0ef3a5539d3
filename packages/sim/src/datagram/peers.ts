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
import { quickModeSaId, type SaKeyMaterial } from '../negotiation/sa-keys.js';
import type { Transform } from '../policy/policy.js';
import { type Account, principalOf, tokenGroups } from '../realm/realm.js';
import { ReplayWindow } from './replay.js';

const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/** A peer with a security association. */
export interface PeerSa {
  readonly secured: true;
  readonly peer: NormalizedAddress;
  readonly transform: Transform;
  readonly outbound: SaKeyMaterial;
  /** Next outbound sequence number (the first datagram carries 1). */
  nextSeq: bigint;
  readonly peerMachine: Account;
  readonly peerUser: Account | undefined;
  readonly impersonated: boolean;
  readonly mmSaId: bigint;
  readonly qmSaId: bigint;
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
}

/** Builds the SA pair of a completed negotiation with `peer`. */
export function peerSaOf(
  peer: NormalizedAddress,
  negotiated: Negotiated,
  windowSize: number,
): { sa: PeerSa; inbound: InboundSa } {
  const sa: PeerSa = {
    secured: true,
    peer,
    transform: negotiated.transform,
    outbound: negotiated.outbound,
    nextSeq: 1n,
    peerMachine: negotiated.peerMachine,
    peerUser: negotiated.peerUser,
    impersonated: negotiated.impersonated,
    mmSaId: negotiated.mmSaId,
    qmSaId: quickModeSaId(negotiated.root, 0, 0),
    saLookupContext: negotiated.saLookupContext,
  };
  return { sa, inbound: { sa, material: negotiated.inbound, window: new ReplayWindow(windowSize) } };
}

function unknownPeer(syscall: string, peer: NormalizedAddress): SecureSocketError {
  return new SecureSocketError(
    'WSAEINVAL',
    `${syscall}: no security association with ${peer.address}:${peer.port}; send to the peer or receive from it first`,
    { syscall },
  );
}

/** `WSAQuerySocketSecurity` for one peer. @throws SecureSocketError `WSAEINVAL` (unknown peer). */
export function queryPeer(
  ctx: SimContext,
  state: PeerState | undefined,
  query: NormalizedQuery & { peerAddress: NormalizedAddress },
  protocol: 0 | 1 | 2,
): SecurityInfo {
  if (!state) throw unknownPeer('WSAQuerySocketSecurity', query.peerAddress);
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
  if (!state.secured) {
    throw new SecureSocketError(
      'WSAEINVAL',
      `${syscall}: ${peer.address}:${peer.port} exchanges clear text, so no peer was authenticated to impersonate`,
      { syscall },
    );
  }
  return ctx.identity.run(principalOf(ctx.realm, state.peerUser ?? state.peerMachine), fn);
}
