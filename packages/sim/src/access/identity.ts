/**
 * Who the running code acts as. Outside impersonation: the backend's user, else its machine (as a
 * service running as LocalSystem is the machine on the network). Inside `impersonatePeer(fn)`: the
 * peer, for the synchronous scope of `fn` only. The scope is an AsyncLocalStorage store that is
 * marked inactive when `fn` returns, so an async continuation created inside never sees the peer
 * identity — exactly as a Windows thread reverts to itself.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Principal } from '@wsasec/core';
import { publish } from '../diagnostics.js';

interface Scope {
  identity: Principal;
  active: boolean;
}

/** The identity of one backend (one simulated machine, or a user logged on to it). */
export class IdentityScope {
  readonly #storage = new AsyncLocalStorage<Scope>();
  readonly self: Principal;

  constructor(self: Principal) {
    this.self = Object.freeze({ ...self });
  }

  /** Who the running code acts as now. */
  current(): Principal {
    const scope = this.#storage.getStore();
    return scope?.active ? scope.identity : this.self;
  }

  /** True inside an active impersonation scope. */
  get impersonating(): boolean {
    return this.#storage.getStore()?.active === true;
  }

  /** Runs `fn` synchronously as `identity` and reverts when it returns or throws. */
  run<T>(identity: Principal, fn: () => T): T {
    const scope: Scope = { identity: Object.freeze({ ...identity }), active: true };
    publish('impersonationBegin', () => ({ sid: identity.sid, name: identity.name }));
    try {
      return this.#storage.run(scope, fn);
    } finally {
      scope.active = false;
      publish('impersonationEnd', () => ({ sid: identity.sid, name: identity.name }));
    }
  }

  /** Mirrors `WSARevertImpersonation`: the current scope acts as itself from now on. */
  revert(): void {
    const scope = this.#storage.getStore();
    if (scope) scope.active = false;
  }
}
