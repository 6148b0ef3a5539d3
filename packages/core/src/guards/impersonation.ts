import { SecureSocketError } from '../errors/errors.js';

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * The impersonation contract, shared by every backend: `begin()` starts impersonating and returns
 * the function that reverts; `fn` runs synchronously in between; the revert always runs in
 * `finally`. A `fn` that returns a promise or thenable is an error (`ERR_WSASEC_ASYNC_IMPERSONATION`)
 * raised after reverting: on Windows impersonation belongs to the OS thread, and the code after an
 * `await` would run as whoever the thread is then.
 */
export function runImpersonated<T>(
  begin: () => () => void,
  fn: () => T,
  syscall = 'WSAImpersonateSocketPeer',
): T {
  const revert = begin();
  let result: T;
  try {
    result = fn();
  } finally {
    revert();
  }
  return rejectThenable(result, syscall);
}

/**
 * Throws `ERR_WSASEC_ASYNC_IMPERSONATION` when `result` is a thenable (after marking a promise as
 * handled so its own rejection cannot crash the process); returns it otherwise.
 */
export function rejectThenable<T>(result: T, syscall = 'WSAImpersonateSocketPeer'): T {
  if (isThenable(result)) {
    // The async work was already started; keep its failure from becoming an unhandled rejection.
    Promise.resolve(result).catch(() => {});
    throw new SecureSocketError(
      'ERR_WSASEC_ASYNC_IMPERSONATION',
      'impersonatePeer runs a synchronous function only: the callback returned a promise, so the code after its first await would run without the peer identity. Impersonation was reverted; do the asynchronous work outside and impersonate around each synchronous step.',
      { syscall },
    );
  }
  return result;
}
