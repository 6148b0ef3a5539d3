/**
 * What every socket and server of one sim backend shares: the realm, the local machine and user,
 * the identity scope, the resolved options, and the helpers that turn a negotiation into a
 * protected socket.
 * @module
 */
import type { Socket } from 'node:net';
import { ikeErrorName, SecureSocketError } from '@wsasec/core';
import type { IdentityScope } from './access/identity.js';
import { HandshakeError } from './negotiation/handshake.js';
import type { Negotiated, NegotiationParty } from './negotiation/negotiation.js';
import type { EffectivePolicy } from './policy/policy.js';
import { SecureChannel } from './protection/channel.js';
import type { FrameOpener } from './protection/frames.js';
import type { Account, RealmState } from './realm/realm.js';
import type { MachineNames } from './realm/target-names.js';
import { type ConnectionSecurity, kAttach, kIdleTimeout, type SimSocket } from './socket/socket.js';

/** Resolved backend options. */
export interface SimOptions {
  handshakeTimeout: number;
  maxFrameSize: number;
  maxConcurrentHandshakes: number;
  idleTimeout: number;
  clearFallbackDelay: number;
  announceDelay: number;
  cryptoWorker: boolean;
  now(): number;
}

/** The shared state of one backend. */
export interface SimContext {
  realm: RealmState;
  machine: Account;
  user: Account | undefined;
  identity: IdentityScope;
  options: SimOptions;
  /** Opens large encrypted frames off the main thread. */
  opener: FrameOpener | undefined;
  /** Live sockets, destroyed by `backend.close()`. */
  sockets: Set<SimSocket>;
}

/** This side of a negotiation under `policy`. */
export function partyOf(ctx: SimContext, policy: EffectivePolicy): NegotiationParty {
  return {
    realm: ctx.realm,
    machine: ctx.machine,
    user: ctx.user,
    policy,
    maxPayload: ctx.options.maxFrameSize,
    now: ctx.options.now,
  };
}

/** The names a machine account answers to. */
export function machineNames(realm: RealmState, account: Account): MachineNames {
  return {
    fqdn: account.fqdn ?? '',
    netbios: account.netbios ?? account.name.replace(/\$$/, ''),
    spns: account.spns ?? [],
    domain: realm.domain,
    dnsDomain: realm.dnsDomain,
  };
}

/** Tracks a socket as live until it closes. */
export function track(ctx: SimContext, socket: SimSocket): SimSocket {
  socket[kIdleTimeout](ctx.options.idleTimeout);
  ctx.sockets.add(socket);
  socket.once('close', () => ctx.sockets.delete(socket));
  return socket;
}

/** Attaches a negotiated TCP connection to `socket`, protected by a new channel. */
export function attachSecure(
  ctx: SimContext,
  socket: SimSocket,
  tcp: Socket,
  negotiated: Negotiated,
  policy: EffectivePolicy,
  protocol: 0 | 1 | 2,
  leftover: Buffer,
): void {
  const channel = new SecureChannel(
    negotiated,
    {
      lifetime: policy.lifetime,
      now: ctx.options.now,
      opener: ctx.opener,
    },
    {
      data: (parts) => socket.channelData(parts),
      end: () => socket.channelEnd(),
      abort: () => socket.channelAbort(),
      failure: (failure) => socket.channelFailure(failure),
      rekeyed: (direction, qmSaId) => socket.channelRekeyed(direction, qmSaId),
    },
  );
  const security: ConnectionSecurity = {
    protocol,
    secured: true,
    encrypted: negotiated.transform === 'encryption',
    impersonated: negotiated.impersonated,
    peerMachine: negotiated.peerMachine,
    peerUser: negotiated.peerUser,
    negotiationError: 0,
  };
  socket[kAttach](tcp, security, channel, leftover);
}

/** Attaches a clear-text TCP connection to `socket` (query flags 0). */
export function attachClear(
  socket: SimSocket,
  tcp: Socket,
  negotiationError: number,
  leftover: Buffer,
): void {
  socket[kAttach](
    tcp,
    { protocol: 0, secured: false, encrypted: false, impersonated: false, negotiationError },
    undefined,
    leftover,
  );
}

/** The SecureSocketError of a failed negotiation. */
export function negotiationFailure(
  error: HandshakeError,
  syscall: 'WSAConnect' | 'accept',
): SecureSocketError {
  const name = ikeErrorName(error.ikeCode) ?? String(error.ikeCode);
  return new SecureSocketError(
    'ERR_WSASEC_NEGOTIATION_FAILED',
    `IPsec negotiation failed (${name}): ${error.message}`,
    {
      syscall,
      negotiationError: error.ikeCode,
      cause: error,
    },
  );
}

/** True for a negotiation failure (as opposed to a TCP error or an abort). */
export function isHandshakeError(error: unknown): error is HandshakeError {
  return error instanceof HandshakeError;
}
