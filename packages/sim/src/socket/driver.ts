/**
 * The SocketDriver of the sim: what `WSASetSocketSecurity`, `WSASetSocketPeerTargetName`,
 * `WSAConnect`, `WSAQuerySocketSecurity` and `WSAImpersonateSocketPeer` do to one socket. Core has
 * already validated the input and the call order.
 * @module
 */
import {
  createSecurityInfo,
  type NormalizedAddress,
  type NormalizedConnectTarget,
  type NormalizedPeerTargetName,
  type NormalizedQuery,
  type NormalizedSecuritySettings,
  SecureSocketError,
  type SecurityAssociations,
  type SecurityInfo,
  SOCKET_INFO_CONNECTION_ENCRYPTED,
  SOCKET_INFO_CONNECTION_IMPERSONATED,
  SOCKET_INFO_CONNECTION_SECURED,
  SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID,
  type SocketDriver,
} from '@wsasec/core';
import { openPeerToken } from '../access/tokens.js';
import type { SimContext } from '../context.js';
import { type EffectivePolicy, resolvePolicy } from '../policy/policy.js';
import { policyStore, principalOf, tokenGroups } from '../realm/realm.js';
import { connectClient } from './connect.js';
import { kChannel, kSecurity, kWatch, SimSocket } from './socket.js';

const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/** The driver of one sim socket (client-created or accepted). */
export class SimSocketDriver implements SocketDriver {
  readonly stream: SimSocket;
  readonly #ctx: SimContext;
  #policy: EffectivePolicy | undefined;
  #protocol: 0 | 1 | 2 = 0;
  #target: NormalizedPeerTargetName | undefined;

  constructor(ctx: SimContext, stream: SimSocket = new SimSocket()) {
    this.#ctx = ctx;
    this.stream = stream;
  }

  /**
   * Mirrors `WSASetSocketSecurity`: resolves the socket's effective policy now, so an unknown
   * policy key fails here.
   * @throws SecureSocketError `WSAEINVAL` (unknown realm policy key, or one of the other mode).
   */
  setSecurity(settings: NormalizedSecuritySettings): void {
    this.#policy = resolvePolicy(settings, policyStore(this.#ctx.realm));
    this.#protocol = settings.protocol;
  }

  /** Mirrors `WSASetSocketPeerTargetName`: one name per stream socket; a later call replaces it. */
  setPeerTargetName(target: NormalizedPeerTargetName): void {
    this.#target = target;
  }

  /** Mirrors `WSADeleteSocketPeerTargetName`; deleting a name that is not set succeeds. */
  deletePeerTargetName(peer: NormalizedAddress): void {
    const at = this.#target?.peerAddress;
    if (!at || (at.address === peer.address && (peer.port === 0 || at.port === peer.port)))
      this.#target = undefined;
  }

  /** Mirrors `WSAConnect` on a secured socket (see connect.ts). */
  connect(
    address: NormalizedAddress,
    target: NormalizedConnectTarget,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    return connectClient({
      ctx: this.#ctx,
      socket: this.stream,
      policy: this.#policy,
      protocol: this.#protocol,
      target: this.#target,
      address,
      connectTarget: target,
      signal,
    });
  }

  /**
   * Mirrors `WSAQuerySocketSecurity`: flags as negotiated; with a token access mask, a machine token
   * for the authenticated peer machine and an application token for the peer user (when one was
   * authenticated); IPSEC2 fields when asked for.
   */
  querySecurity(query: NormalizedQuery): SecurityInfo {
    const security = this.stream[kSecurity];
    const channel = this.stream[kChannel];
    const realm = this.#ctx.realm;
    let flags = 0;
    if (security.secured) {
      flags |= SOCKET_INFO_CONNECTION_SECURED;
      if (security.encrypted) flags |= SOCKET_INFO_CONNECTION_ENCRYPTED;
      if (security.impersonated) flags |= SOCKET_INFO_CONNECTION_IMPERSONATED;
    }
    const machine =
      query.tokenAccess !== 0 && security.peerMachine
        ? openPeerToken(
            'machine',
            principalOf(realm, security.peerMachine),
            tokenGroups(realm, security.peerMachine),
            query.tokenAccess,
          )
        : undefined;
    const application =
      query.tokenAccess !== 0 && security.peerUser
        ? openPeerToken(
            'application',
            principalOf(realm, security.peerUser),
            tokenGroups(realm, security.peerUser),
            query.tokenAccess,
          )
        : undefined;
    if (
      query.ipsec2?.abortOnFieldChange &&
      query.ipsec2.fieldMask & SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID &&
      channel
    ) {
      this.stream[kWatch](channel.qmSaId);
    }
    return createSecurityInfo({
      protocol: security.secured ? security.protocol : 0,
      flags,
      peerApplicationToken: application,
      peerMachineToken: machine,
      ipsec2:
        query.protocol === 2
          ? {
              mmSaId: channel?.mmSaId ?? 0n,
              qmSaId: channel?.qmSaId ?? 0n,
              negotiationError: security.negotiationError,
              saLookupContext: channel?.saLookupContext ?? ZERO_GUID,
            }
          : undefined,
    });
  }

  /**
   * The SAs of the connection, as `MatchIPsecSAsForConnectedSocket` prints them on Windows: the
   * main mode of the model (X25519, handshake sealed with AES-256-GCM, SHA-256 transcript; no
   * main-mode lifetime) and its one quick-mode SA pair (ESP: AES-256-GCM, or AES-256-GMAC for
   * integrity only), with the current SPIs and id (both change at rekey). None in clear text.
   */
  securityAssociations(): SecurityAssociations {
    const channel = this.stream[kChannel];
    if (!this.stream[kSecurity].secured || !channel) return { mainMode: undefined, quickMode: [] };
    const localAddress = this.stream.localAddress ?? '';
    const remoteAddress = this.stream.remoteAddress ?? '';
    const { inboundSpi, outboundSpi, lifetime } = channel.sa;
    const encrypted = channel.transform === 'encryption';
    return {
      mainMode: {
        id: channel.mmSaId,
        localAddress,
        remoteAddress,
        cipher: 'AES-256-GCM',
        integrity: 'SHA-256',
        keyExchange: 'X25519',
        lifetimeSeconds: undefined,
      },
      quickMode: [
        {
          id: channel.qmSaId,
          mainModeId: channel.mmSaId,
          protocol: 'esp',
          encryption: encrypted ? 'AES-256-GCM' : undefined,
          integrity: encrypted ? 'AES-256-GCM' : 'AES-256-GMAC',
          lifetimeSeconds: lifetime.seconds,
          lifetimeKilobytes: Math.floor(lifetime.bytes / 1024),
          inboundSpi,
          outboundSpi,
          localAddress,
          remoteAddress,
          remotePort: this.stream.remotePort ?? 0,
        },
      ],
    };
  }

  /**
   * Mirrors `WSAImpersonateSocketPeer` … `WSARevertImpersonation` around `fn`: the peer user, else
   * the peer machine.
   * @throws SecureSocketError `WSAEINVAL` on a clear-text connection (nobody was authenticated), before
   *   running `fn`.
   */
  impersonatePeer<T>(fn: () => T): T {
    const security = this.stream[kSecurity];
    const account = security.peerUser ?? security.peerMachine;
    if (!account) {
      throw new SecureSocketError(
        'WSAEINVAL',
        'WSAImpersonateSocketPeer: the connection is not secured, so no peer was authenticated to impersonate',
        { syscall: 'WSAImpersonateSocketPeer' },
      );
    }
    return this.#ctx.identity.run(principalOf(this.#ctx.realm, account), fn);
  }
}
