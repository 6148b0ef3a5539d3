import {
  SOCKET_INFO_CONNECTION_ENCRYPTED,
  SOCKET_INFO_CONNECTION_IMPERSONATED,
  SOCKET_INFO_CONNECTION_SECURED,
} from '../contract/constants.js';
import type { PeerToken, Principal, SecurityInfo } from '../contract/types.js';
import { protocolName } from '../validate/validate.js';

/** What a backend supplies to build a {@link PeerToken}. */
export interface PeerTokenInit {
  kind: 'application' | 'machine';
  user: Principal;
  groups: readonly Principal[];
  access: number;
  /** Releases the backend's handle; called once, on the first close. */
  release(): void;
}

/** Builds a `PeerToken` whose `close()` is idempotent and which works with `using`. */
export function createPeerToken(init: PeerTokenInit): PeerToken {
  let closed = false;
  const user = Object.freeze({ ...init.user });
  const groups = Object.freeze(init.groups.map((g) => Object.freeze({ ...g })));
  const token: PeerToken = {
    kind: init.kind,
    user,
    groups,
    access: init.access,
    get closed() {
      return closed;
    },
    close() {
      if (closed) return;
      closed = true;
      init.release();
    },
    [Symbol.dispose]() {
      token.close();
    },
  };
  return token;
}

/** What a backend supplies to build a {@link SecurityInfo}. */
export interface SecurityInfoInit {
  protocol: 0 | 1 | 2;
  flags: number;
  peerApplicationToken?: PeerToken | undefined;
  peerMachineToken?: PeerToken | undefined;
  ipsec2?: { mmSaId: bigint; qmSaId: bigint; negotiationError: number; saLookupContext: string } | undefined;
}

/** Builds a `SecurityInfo` that owns its tokens. */
export function createSecurityInfo(init: SecurityInfoInit): SecurityInfo {
  const info: SecurityInfo = {
    protocol: protocolName(init.protocol),
    flags: init.flags,
    secured: (init.flags & SOCKET_INFO_CONNECTION_SECURED) !== 0,
    encrypted: (init.flags & SOCKET_INFO_CONNECTION_ENCRYPTED) !== 0,
    impersonated: (init.flags & SOCKET_INFO_CONNECTION_IMPERSONATED) !== 0,
    ...(init.peerApplicationToken ? { peerApplicationToken: init.peerApplicationToken } : {}),
    ...(init.peerMachineToken ? { peerMachineToken: init.peerMachineToken } : {}),
    ...(init.ipsec2 ?? {}),
    close() {
      init.peerApplicationToken?.close();
      init.peerMachineToken?.close();
    },
    [Symbol.dispose]() {
      info.close();
    },
  };
  return info;
}
