/**
 * A stand-in for Node's `test/common` for ports of Node's `test/parallel` tests: the `mustCall`
 * family (call counts checked when the test ends, as Node's process 'exit' hook checks them),
 * `Countdown`, `platformTimeout`, and a bounded cleanup of everything a test created.
 *
 * A Node test ends when its event loop drains; a port ends where Node's does its last thing (most
 * often `server.close()`) by calling `t.done()`, and the test body ends with `await t.end()`, which
 * waits for done, lets pending ticks run, and then checks every count. An exception in any callback
 * (an assert inside a mustCall, an `'error'` event nobody listens to) fails the current test, as it
 * fails a Node test. Packages subclass {@link NodeCommon} with the factories their ports stand in
 * (`net`, `http`) and register it per test with {@link useNodeTest}.
 */
import { afterEach, beforeEach } from 'vitest';

// biome-ignore lint/suspicious/noExplicitAny: Node's mustCall wraps functions of any signature.
type AnyFn = (...args: any[]) => any;

interface Expectation {
  name: string;
  exact?: number;
  atLeast?: number;
  actual: number;
  stack: string;
}

/** The loopback address every port uses (Node's tests often say 'localhost' or nothing). */
export const HOST = '127.0.0.1';

/** NODE_PARALLEL_CONTROL=1: run the ports on Node's own net/http (the control: they must pass there). */
export const CONTROL = process.env.NODE_PARALLEL_CONTROL === '1';

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Node's common.platformTimeout on a normal machine. */
export const platformTimeout = (ms: number) => ms;

/** Node's `common` for one test: call counts, failures from callbacks, cleanups. */
export class NodeCommon {
  readonly #expectations: Expectation[] = [];
  readonly #errors: unknown[] = [];
  readonly #cleanups: (() => unknown)[] = [];
  #resolveDone!: () => void;
  #rejectDone!: (e: unknown) => void;
  readonly #finished: Promise<void>;
  readonly #savedUncaught: AnyFn[];
  readonly #savedRejection: AnyFn[];
  /**
   * Set once the test is cleaned up. Node runs each test file in a process of its own, which exits
   * when the test is over — its unref'd timers and late callbacks never run. Here the next test runs
   * in the same process, so a finished test's wrapped callbacks do nothing (they neither count nor
   * fail the test that is running then).
   */
  #over = false;

  constructor() {
    this.#finished = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    this.#finished.catch(() => {});
    // Route uncaught exceptions of this test's callbacks to this test (Node: the test fails).
    this.#savedUncaught = process.listeners('uncaughtException') as AnyFn[];
    this.#savedRejection = process.listeners('unhandledRejection') as AnyFn[];
    process.removeAllListeners('uncaughtException');
    process.removeAllListeners('unhandledRejection');
    process.on('uncaughtException', this.#onUncaught);
    process.on('unhandledRejection', this.#onUncaught);
  }

  readonly #onUncaught = (error: unknown) => this.fail(error);

  /** Fails the test now (an exception in a callback). */
  fail(error: unknown): void {
    this.#errors.push(error);
    this.#rejectDone(error);
  }

  #wrap<F extends AnyFn>(fn: F | undefined, expectation: Expectation | undefined): F {
    const test = this;
    return function (this: unknown, ...args: unknown[]) {
      if (test.#over) return undefined;
      if (expectation) expectation.actual++;
      try {
        return fn?.apply(this, args);
      } catch (error) {
        test.fail(error);
        throw error;
      }
    } as F;
  }

  #expect(name: string, exact: number | undefined, atLeast: number | undefined): Expectation {
    const stack = new Error(name).stack ?? '';
    const e: Expectation = { name, actual: 0, stack, ...(exact !== undefined ? { exact } : { atLeast }) };
    this.#expectations.push(e);
    return e;
  }

  /** common.mustCall(fn, exact = 1). */
  mustCall<F extends AnyFn>(fn?: F, exact = 1): F {
    return this.#wrap(fn, this.#expect(fn?.name || 'mustCall', exact, undefined));
  }

  /** common.mustCallAtLeast(fn, minimum = 1). */
  mustCallAtLeast<F extends AnyFn>(fn?: F, minimum = 1): F {
    return this.#wrap(fn, this.#expect(fn?.name || 'mustCallAtLeast', undefined, minimum));
  }

  /** common.mustSucceed(fn, exact = 1): the first argument (an error) must be null/undefined. */
  mustSucceed<F extends AnyFn>(fn?: F, exact = 1): F {
    return this.mustCall(
      function (this: unknown, error: unknown, ...args: unknown[]) {
        if (error) throw error;
        return fn?.apply(this, args);
      } as F,
      exact,
    );
  }

  /** common.mustNotCall(msg). */
  mustNotCall(message = 'mustNotCall'): AnyFn {
    return (...args: unknown[]) => {
      if (this.#over) return;
      const error = new Error(`${message} (called with ${args.map((a) => inspectArg(a)).join(', ')})`);
      this.fail(error);
      throw error;
    };
  }

  /** A callback whose assertions count (no call count). */
  guard<F extends AnyFn>(fn: F): F {
    return this.#wrap(fn, undefined);
  }

  /** Where Node's test does its last thing: the test may end. */
  done(): void {
    this.#resolveDone();
  }

  /** Waits for done (or the first failure), lets pending ticks run, then checks every count. */
  async end(settleMs = 50): Promise<void> {
    await this.#finished;
    await delay(settleMs);
    await new Promise((resolve) => setImmediate(resolve));
    if (this.#errors.length) throw this.#errors[0];
    const wrong = this.#expectations.filter((e) =>
      e.exact !== undefined ? e.actual !== e.exact : e.actual < (e.atLeast ?? 1),
    );
    if (wrong.length) {
      const lines = wrong.map(
        (e) =>
          `Mismatched ${e.name} function calls. Expected ${e.exact !== undefined ? `exactly ${e.exact}` : `at least ${e.atLeast}`}, actual ${e.actual}.\n${e.stack.split('\n').slice(2, 4).join('\n')}`,
      );
      throw new Error(lines.join('\n'));
    }
  }

  /** Registers something to close at the end (closed last-registered first). */
  onCleanup(fn: () => unknown): void {
    this.#cleanups.push(fn);
  }

  /** afterEach: closes everything (each close bounded at 2 s), restores the process's listeners. */
  async cleanup(): Promise<void> {
    for (const fn of this.#cleanups.splice(0).reverse()) {
      try {
        await Promise.race([fn(), delay(2000)]);
      } catch {
        // cleanup is best effort
      }
    }
    await delay(20);
    this.#over = true;
    process.removeListener('uncaughtException', this.#onUncaught);
    process.removeListener('unhandledRejection', this.#onUncaught);
    for (const l of this.#savedUncaught) process.on('uncaughtException', l);
    for (const l of this.#savedRejection) process.on('unhandledRejection', l);
  }
}

function inspectArg(a: unknown): string {
  if (a instanceof Error) return `${a.name}: ${a.message}`;
  return typeof a === 'object' ? Object.prototype.toString.call(a) : String(a);
}

/** server.address().port, as Node's tests read it. */
export function portOf(server: { address(): unknown }): number {
  return (server.address() as { port: number }).port;
}

/** A Countdown like test/common/countdown.js. */
export class Countdown {
  #remaining: number;
  readonly #cb: () => void;
  constructor(limit: number, cb: () => void) {
    this.#remaining = limit;
    this.#cb = cb;
  }
  dec(): number {
    if (this.#remaining <= 0) throw new Error('Countdown already at zero');
    if (--this.#remaining === 0) this.#cb();
    return this.#remaining;
  }
  get remaining(): number {
    return this.#remaining;
  }
}

/**
 * Registers beforeEach/afterEach for a test file: a fresh `create()` per test, cleaned up after it.
 * Returns the accessor of the current test's instance.
 */
export function useNodeTest<T extends NodeCommon>(create: () => T): () => T {
  let current: T | undefined;
  beforeEach(() => {
    current = create();
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('no NodeTest: call inside a test');
    return current;
  };
}
