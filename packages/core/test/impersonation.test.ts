import { describe, expect, it } from 'vitest';
import { rejectThenable, runImpersonated, SecureSocketError } from '../src/index.js';

/** A begin() that records the order of begin, fn and revert. */
function recorder() {
  const events: string[] = [];
  const begin = () => {
    events.push('begin');
    return () => events.push('revert');
  };
  return { events, begin };
}

function asyncImpersonationError(fn: () => unknown): SecureSocketError {
  try {
    fn();
  } catch (error) {
    expect(SecureSocketError.isInstance(error)).toBe(true);
    expect((error as SecureSocketError).code).toBe('ERR_WSASEC_ASYNC_IMPERSONATION');
    return error as SecureSocketError;
  }
  throw new Error('expected ERR_WSASEC_ASYNC_IMPERSONATION');
}

/** Collects unhandled rejections while `run` and a few turns of the event loop complete. */
async function unhandledDuring(run: () => void): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    run();
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}

describe('runImpersonated', () => {
  it('begins, runs fn, reverts, and returns its result', () => {
    const { events, begin } = recorder();
    const result = runImpersonated(begin, () => {
      events.push('fn');
      return 42;
    });
    expect(result).toBe(42);
    expect(events).toEqual(['begin', 'fn', 'revert']);
  });

  it('reverts in finally when fn throws, and rethrows the same error', () => {
    const { events, begin } = recorder();
    const boom = new Error('boom');
    expect(() =>
      runImpersonated(begin, () => {
        throw boom;
      }),
    ).toThrow(boom);
    expect(events).toEqual(['begin', 'revert']);
  });

  it('does not run fn (nor revert) when begin fails', () => {
    const events: string[] = [];
    const failure = new Error('cannot impersonate');
    expect(() =>
      runImpersonated(
        () => {
          throw failure;
        },
        () => events.push('fn'),
      ),
    ).toThrow(failure);
    expect(events).toEqual([]);
  });

  it('refuses a promise with ERR_WSASEC_ASYNC_IMPERSONATION, after reverting', () => {
    const { events, begin } = recorder();
    const error = asyncImpersonationError(() =>
      runImpersonated(begin, async () => {
        events.push('fn');
      }),
    );
    expect(events).toEqual(['begin', 'fn', 'revert']);
    expect(error.syscall).toBe('WSAImpersonateSocketPeer');
    expect(error.message).toMatch(/synchronous function only/);
  });

  it('names the syscall it is given', () => {
    const { begin } = recorder();
    expect(
      asyncImpersonationError(() => runImpersonated(begin, async () => 1, 'ImpersonateLoggedOnUser')).syscall,
    ).toBe('ImpersonateLoggedOnUser');
  });

  it('a rejecting promise from fn does not become an unhandled rejection', async () => {
    const { begin } = recorder();
    const seen = await unhandledDuring(() => {
      asyncImpersonationError(() =>
        runImpersonated(begin, async () => {
          throw new Error('rejected inside');
        }),
      );
    });
    expect(seen).toEqual([]);
  });
});

describe('rejectThenable', () => {
  it('returns anything that is not a thenable', () => {
    // biome-ignore lint/suspicious/noThenProperty: a then that is not a function is what is under test
    const object = { then: 'not a function' };
    for (const value of [undefined, null, 0, '', 'then', object, [], () => 1])
      expect(rejectThenable(value)).toBe(value);
  });

  it('refuses promises, thenable objects and thenable functions', () => {
    // biome-ignore lint/suspicious/noThenProperty: the thenable is what is under test
    const thenableFunction = Object.assign(() => 1, { then: () => {} });
    // biome-ignore lint/suspicious/noThenProperty: the thenable is what is under test
    for (const value of [Promise.resolve(1), { then: () => {} }, thenableFunction]) {
      asyncImpersonationError(() => rejectThenable(value));
    }
  });

  it('a thenable whose then throws does not become an unhandled rejection', async () => {
    const seen = await unhandledDuring(() => {
      asyncImpersonationError(() =>
        rejectThenable({
          // biome-ignore lint/suspicious/noThenProperty: the thenable is what is under test
          then() {
            throw new Error('then throws');
          },
        }),
      );
    });
    expect(seen).toEqual([]);
  });
});
