/**
 * Support for the ports of Node's test/parallel net tests: Node's `common.mustCall` family (call
 * counts checked when the test ends) and a `net` stand-in whose factories are the sim backend's:
 * `net.createServer` → server.contoso.com's `backend.createServer`, `new net.Socket()` → client.contoso.com's
 * `backend.createSocket()` with the target name host/server.contoso.com, `net.connect(...args)` →
 * that socket's `connect(...args)` (as Node's own net.connect is `new Socket().connect(...args)`).
 * Everything after the factory — listen, connect, close, events — is called exactly as Node's
 * test calls it. Everything a test creates is closed in afterEach with bounded waits.
 *
 * A port ends where Node's test does its last thing by calling `t.done()`; `await t.end()` then
 * lets pending ticks run and checks every mustCall count, as Node's process 'exit' hook does. An
 * exception in any callback fails the current test.
 *
 * NODE_PARALLEL_CONTROL=1 runs the same ports on Node's own net (the control: they must pass there).
 */
import * as realNet from 'node:net';
import type { SecureSocket, SecureSocketBackend } from '@wsasec/core';
import { afterEach, beforeEach } from 'vitest';
import { createSimBackend } from '../../src/index.js';
import { contosoRealm } from '../support/fixture.js';

type AnyFn = (...args: any[]) => any;

interface Expectation {
  name: string;
  exact?: number;
  atLeast?: number;
  actual: number;
  stack: string;
}

export const CONTROL = process.env.NODE_PARALLEL_CONTROL === '1';
/** The loopback address every port uses (Node's tests often say 'localhost' or nothing). */
export const HOST = '127.0.0.1';
export const SERVER = 'host/server.contoso.com';
export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const platformTimeout = (ms: number) => ms;

export class NodeTest {
  readonly #expectations: Expectation[] = [];
  readonly #errors: unknown[] = [];
  readonly #cleanups: (() => unknown)[] = [];
  #resolveDone!: () => void;
  #rejectDone!: (e: unknown) => void;
  readonly #finished: Promise<void>;
  #savedUncaught: AnyFn[] = [];
  #savedRejection: AnyFn[] = [];
  #backends: { server: SecureSocketBackend; client: SecureSocketBackend } | undefined;

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

  /** The sim realm's two machines: `server` (host/server.contoso.com) and `client`. */
  get backends(): { server: SecureSocketBackend; client: SecureSocketBackend } {
    if (!this.#backends) {
      const realm = contosoRealm();
      const backends = {
        server: createSimBackend({ realm, machine: 'server.contoso.com' }),
        client: createSimBackend({ realm, machine: 'client.contoso.com' }),
      };
      this.#backends = backends;
      this.#cleanups.push(() => Promise.all([backends.server.close(), backends.client.close()]));
    }
    return this.#backends;
  }

  #wrap<F extends AnyFn>(fn: F | undefined, expectation: Expectation | undefined): F {
    const test = this;
    return function (this: unknown, ...args: unknown[]) {
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

  /** Registers something to close at the end. */
  onCleanup(fn: () => unknown): void {
    this.#cleanups.push(fn);
  }

  /** The `net` module as the port sees it. */
  get net(): NetLike {
    return makeNet(this);
  }

  /** afterEach: closes everything (bounded), restores the process's listeners. */
  async cleanup(): Promise<void> {
    for (const fn of this.#cleanups.splice(0).reverse()) {
      try {
        await Promise.race([fn(), delay(2000)]);
      } catch {
        // cleanup is best effort
      }
    }
    await delay(20);
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

export interface NetLike {
  createServer(
    options?: object | ((socket: realNet.Socket) => void),
    listener?: (socket: realNet.Socket) => void,
  ): realNet.Server;
  Server(
    options?: object | ((socket: realNet.Socket) => void),
    listener?: (socket: realNet.Socket) => void,
  ): realNet.Server;
  Socket: new (options?: object) => realNet.Socket;
  connect(...args: any[]): realNet.Socket;
  createConnection(...args: any[]): realNet.Socket;
}

function makeNet(t: NodeTest): NetLike {
  const createServer = (
    options?: object | ((socket: realNet.Socket) => void),
    listener?: (socket: realNet.Socket) => void,
  ): realNet.Server => {
    const opts = typeof options === 'function' ? undefined : options;
    const onConnection = typeof options === 'function' ? options : listener;
    const server = CONTROL
      ? realNet.createServer(opts ?? {}, onConnection as (socket: realNet.Socket) => void)
      : (t.backends.server.createServer(opts as never, onConnection as never) as unknown as realNet.Server);
    t.onCleanup(async () => {
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await Promise.race([
        new Promise((resolve) => {
          try {
            const r = (server.close as AnyFn).call(server, resolve);
            if (r && typeof r.then === 'function') r.then(resolve, resolve);
          } catch {
            resolve(undefined);
          }
        }),
        delay(1000),
      ]);
    });
    return server;
  };
  const Socket = function Socket(this: unknown, options?: object) {
    if (CONTROL) {
      const plain = new realNet.Socket(options);
      t.onCleanup(() => plain.destroy());
      return plain;
    }
    // net.Socket's constructor ignores connect options (host, port) given to it; createSocket takes
    // only its own (allowHalfOpen).
    const halfOpen = (options as { allowHalfOpen?: unknown } | undefined)?.allowHalfOpen;
    const socket = t.backends.client.createSocket(
      (halfOpen === undefined ? undefined : { allowHalfOpen: halfOpen }) as never,
    ) as unknown as SecureSocket;
    // A socket without WSASetSocketSecurity is a plain TCP socket (the sim server, which requires
    // protection, never delivers it): every port's client is a secured socket.
    socket.setSecurity({});
    socket.setPeerTargetName(SERVER);
    t.onCleanup(() => socket.destroy());
    // Our connect may return a promise: not the Node contract (a Node socket reports through
    // 'error'), so its rejection is dropped here and never becomes an unhandled rejection.
    const connect = (socket as any).connect;
    (socket as any).connect = function (...args: unknown[]) {
      const result = connect.apply(this, args);
      if (result && typeof result.then === 'function') result.then(undefined, () => {});
      return result;
    };
    return socket;
  } as unknown as new (
    options?: object,
  ) => realNet.Socket;
  const connect = (...args: any[]): realNet.Socket => {
    const first = args[0];
    const halfOpen = typeof first === 'object' && first !== null && first.allowHalfOpen !== undefined;
    const socket = new Socket(halfOpen ? { allowHalfOpen: first.allowHalfOpen } : undefined);
    socket.connect(...(args as [any]));
    return socket;
  };
  return { createServer, Server: createServer, Socket, connect, createConnection: connect };
}

/** Registers beforeEach/afterEach for a file and returns the current test's NodeTest. */
export function useNodeTest(): () => NodeTest {
  let current: NodeTest | undefined;
  beforeEach(() => {
    current = new NodeTest();
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

/** server.address().port, as Node's tests read it. */
export function portOf(server: { address(): unknown }): number {
  return (server.address() as realNet.AddressInfo).port;
}
