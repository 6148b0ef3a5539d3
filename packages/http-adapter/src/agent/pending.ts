import { EventEmitter } from 'node:events';
import type * as http from 'node:http';
import { SecureSocketError } from '@wsasec/core';

/**
 * Stands in `agent.sockets[name]` while a secured connect is in flight, so Node's pool accounting
 * (`maxSockets`, `maxTotalSockets`) counts connects that have not finished yet — Node's own agent
 * only counts a socket once `createConnection` hands it over. `destroy()` (called by
 * `agent.destroy()`) aborts the connect.
 */
export class PendingConnection extends EventEmitter {
  readonly #controller = new AbortController();
  readonly writable = false;
  readonly readable = false;
  readonly connecting = true;

  get destroyed(): boolean {
    return this.#controller.signal.aborted;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  destroy(reason?: unknown): this {
    if (!this.#controller.signal.aborted) {
      this.#controller.abort(
        reason ??
          new SecureSocketError('ERR_WSASEC_ABORTED', 'the agent was destroyed while connecting', {
            syscall: 'connect',
          }),
      );
    }
    return this;
  }
}

/** What a request aborted before it had a socket must emit, as Node's agent would. */
export function hangUpError(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

/**
 * Calls `onDestroy` when the request is destroyed (an AbortSignal, a timeout, `req.destroy()`)
 * while its connection is still being secured. http gives no event for that: the request only
 * learns of its own destruction once it gets a socket, which would leave an aborted request
 * waiting for a whole IPsec negotiation. So the request's `destroy` is wrapped for the duration of
 * the connect and restored after.
 */
export function watchDestroy(
  req: http.ClientRequest,
  onDestroy: (reason: Error | undefined) => void,
): { release(): void; readonly reason: Error | undefined } {
  const own = Object.hasOwn(req, 'destroy');
  const original = req.destroy;
  let reason: Error | undefined;
  let released = false;
  const wrapper = function destroy(this: http.ClientRequest, error?: Error) {
    if (!released && !req.destroyed) {
      reason = error;
      onDestroy(error);
    }
    return original.call(this, error);
  };
  req.destroy = wrapper;
  return {
    release() {
      if (released) return;
      released = true;
      if (req.destroy !== wrapper) return;
      if (own) req.destroy = original;
      else delete (req as { destroy?: unknown }).destroy;
    },
    get reason() {
      return reason;
    },
  };
}
