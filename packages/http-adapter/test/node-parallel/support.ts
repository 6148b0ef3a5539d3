/**
 * Support for the ports of Node's test/parallel http tests: Node's `common.mustCall` family (call
 * counts checked when the test ends), and a sim realm whose server (createSecureServer) and agent
 * (SecureAgent) stand in for http.createServer and http.Agent. Everything a test creates is closed
 * by `t.cleanup()` in afterEach, with bounded waits, so a broken close never hangs the suite.
 *
 * A Node test ends when its event loop drains; a port ends where Node's does its last thing (most
 * often `server.close()`) by calling `t.done()`, and the test body ends with `await t.end()`, which
 * waits for done, lets pending ticks run, and then checks every mustCall count exactly as Node's
 * process 'exit' hook does. An exception in any callback (an assert inside a mustCall, an 'error'
 * event nobody listens to) fails the current test, as it fails a Node test.
 */
import * as http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { SecuritySettings } from '@wsasec/core';
import { createSecureServer, SecureAgent, type SecureAgentOptions } from '@wsasec/http-adapter';
import { afterEach, beforeEach } from 'vitest';
import { createSimFixture, SERVER, type SimFixture } from '../support/sim-fixture.js';

export { SERVER };

const require = createRequire(import.meta.url);

type AnyFn = (...args: any[]) => any;

interface Expectation {
  name: string;
  exact?: number;
  atLeast?: number;
  actual: number;
  stack: string;
}

/**
 * NODE_PARALLEL_CONTROL=1 runs the ports against Node's own http.Agent, http.createServer and
 * net.connect instead: the control run that shows a port is faithful (it must pass there).
 */
export const CONTROL = process.env.NODE_PARALLEL_CONTROL === '1';

/** The loopback address every port uses (Node's tests often say 'localhost'). */
export const HOST = '127.0.0.1';

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Node's common.platformTimeout on a normal machine. */
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
  #fixture: SimFixture | undefined;

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

  /** The sim realm: `server` runs as host/server.contoso.com, `machine` as client.contoso.com. */
  get fixture(): SimFixture {
    if (!this.#fixture) {
      const fixture = createSimFixture();
      this.#fixture = fixture;
      this.#cleanups.push(() => fixture.close());
    }
    return this.#fixture;
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

  /** http.createServer(handler) → createSecureServer({ backend: server }, handler). */
  createServer(
    options?: http.ServerOptions | http.RequestListener,
    handler?: http.RequestListener,
  ): http.Server {
    const opts = typeof options === 'function' ? {} : (options ?? {});
    const listener = typeof options === 'function' ? options : handler;
    const server = CONTROL
      ? http.createServer(opts, listener)
      : createSecureServer({ backend: this.fixture.server, ...opts }, listener);
    this.#cleanups.push(async () => {
      server.closeAllConnections();
      if (server.listening)
        await Promise.race([new Promise((resolve) => server.close(resolve)), delay(1000)]);
    });
    return server;
  }

  /**
   * new http.Agent(options) → new SecureAgent({ backend: machine, peerTargetName, ...options }).
   * `keepAlive` defaults to false here, as in http.Agent: SecureAgent's own default (true) is a
   * documented difference, and the ports test the agent's mechanics under Node's options.
   */
  agent(options: Partial<SecureAgentOptions> = {}, security?: SecuritySettings): SecureAgent {
    if (CONTROL) {
      const plain = new http.Agent({ keepAlive: false, ...options } as http.AgentOptions) as SecureAgent;
      this.#cleanups.push(() => plain.destroy());
      return plain;
    }
    const agent = new SecureAgent({
      backend: this.fixture.machine,
      peerTargetName: SERVER,
      keepAlive: false,
      ...(security ? { security } : {}),
      ...options,
    } as SecureAgentOptions);
    this.#cleanups.push(() => agent.destroy());
    return agent;
  }

  /**
   * net.connect(port[, cb]) → a sim stream socket of client.contoso.com (target host/server.contoso.com)
   * connected with Node's call form `socket.connect(port, '127.0.0.1'[, cb])`. A promise our
   * connect may return is not the Node contract: its rejection is dropped here (a Node socket
   * reports through 'error').
   */
  netConnect(port: number, cb?: () => void): import('node:net').Socket {
    if (CONTROL) {
      const plain = new (require('node:net') as typeof import('node:net')).Socket();
      this.#cleanups.push(() => plain.destroy());
      return cb ? plain.connect(port, HOST, cb) : plain.connect(port, HOST);
    }
    const socket = this.fixture.machine.createSocket();
    // Secured (an unsecured socket is plain TCP, which the sim's server never delivers).
    socket.setSecurity({});
    socket.setPeerTargetName(SERVER);
    this.#cleanups.push(() => socket.destroy());
    const result = (socket as any).connect(port, HOST, ...(cb ? [cb] : []));
    if (result && typeof result.then === 'function') result.then(undefined, () => {});
    return socket as unknown as import('node:net').Socket;
  }

  /** new net.Socket() → a sim stream socket of client.contoso.com, target host/server.contoso.com. */
  netSocket(): import('node:net').Socket {
    if (CONTROL) {
      const plain = new (require('node:net') as typeof import('node:net')).Socket();
      this.#cleanups.push(() => plain.destroy());
      return plain;
    }
    const socket = this.fixture.machine.createSocket();
    socket.setSecurity({});
    socket.setPeerTargetName(SERVER);
    this.#cleanups.push(() => socket.destroy());
    return socket as unknown as import('node:net').Socket;
  }

  /** net.createServer(options, listener) → the server backend's createServer (Node's options passed as they are). */
  netServer(
    options: object,
    listener: (socket: import('node:net').Socket) => void,
  ): import('node:net').Server {
    const server = CONTROL
      ? (require('node:net') as typeof import('node:net')).createServer(options, listener)
      : (this.fixture.server.createServer(
          options as never,
          listener as never,
        ) as unknown as import('node:net').Server);
    this.#cleanups.push(async () => {
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await Promise.race([new Promise((resolve) => server.close(resolve)), delay(1000)]);
    });
    return server;
  }

  /** The agent class to subclass (SecureAgent; http.Agent in the control run), and its base options. */
  agentClass(): { Base: typeof SecureAgent; base: Partial<SecureAgentOptions> } {
    if (CONTROL) return { Base: http.Agent as unknown as typeof SecureAgent, base: {} };
    return { Base: SecureAgent, base: { backend: this.fixture.machine, peerTargetName: SERVER } };
  }

  /** Registers something to close at the end. */
  onCleanup(fn: () => unknown): void {
    this.#cleanups.push(fn);
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

/** server.address().port, as Node's tests read it. */
export function portOf(server: { address(): unknown }): number {
  return (server.address() as AddressInfo).port;
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

export { http };

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

/** A plain TCP listener on 127.0.0.1 that accepts and never answers (a peer that never negotiates). */
export async function silentPeer(t: NodeTest): Promise<number> {
  const net = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  t.onCleanup(() => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}
