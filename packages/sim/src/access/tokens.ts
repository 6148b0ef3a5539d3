/**
 * Peer access tokens of the sim: simulated handles, counted while open so that tests can assert
 * that none leaked (as a Windows test would count `CloseHandle` calls).
 * @module
 */
import { createPeerToken, type PeerToken, type Principal } from '@wsasec/core';
import { publish } from '../diagnostics.js';

let open = 0;
let nextHandle = 0x1000n;
const handles = new WeakMap<PeerToken, { handle: bigint }>();

/** Peer tokens opened by `querySecurity({ tokenAccess })` in this process and not yet closed. */
export function openTokenCount(): number {
  return open;
}

/** Opens a peer token (a new simulated handle owned by the caller). */
export function openPeerToken(
  kind: 'application' | 'machine',
  user: Principal,
  groups: readonly Principal[],
  access: number,
): PeerToken {
  nextHandle += 4n;
  const handle = nextHandle;
  open++;
  publish('tokenOpen', () => ({ handle, kind, sid: user.sid }));
  const token = createPeerToken({
    kind,
    user,
    groups,
    access,
    release() {
      open--;
      publish('tokenClose', () => ({ handle, kind, sid: user.sid }));
    },
  });
  handles.set(token, { handle });
  return token;
}

/** The simulated handle value of a token this module opened. */
export function tokenHandle(token: PeerToken): bigint | undefined {
  return handles.get(token)?.handle;
}
