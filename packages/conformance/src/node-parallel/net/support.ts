/**
 * Support for the ports of Node's test/parallel net tests: Node's `test/common` (mustCall family,
 * call counts checked when the test ends) from `../../node-common`, and a `net` stand-in whose
 * factories are a backend pair's: `net.createServer` → the server backend's `createServer`,
 * `new net.Socket()` (and its legacy name `net.Stream`) → the client backend's `createSocket()` with security set and the server's
 * target name, `net.connect(...args)` → that socket's `connect(...args)` (as Node's own
 * net.connect is `new Socket().connect(...args)`).
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
import { CONTROL, delay, HOST, NodeCommon, platformTimeout, portOf } from '../../node-common/common.js';

type AnyFn = (...args: any[]) => any;

export { CONTROL, delay, HOST, platformTimeout, portOf };

/** The backends a run of the net ports stands in for Node's net. */
export interface NetPortBackends {
  /** A fresh pair for one test: the server's and the client's backend (closed after the test). */
  create(): { server: SecureSocketBackend; client: SecureSocketBackend };
  /** The target name the client sockets expect of the server (e.g. `host/server.contoso.com`). */
  serverTargetName: string;
}

/** One port's Node `test/common` and its `net` stand-in. */
export class NodeNetTest extends NodeCommon {
  readonly #provider: NetPortBackends;
  #backends: { server: SecureSocketBackend; client: SecureSocketBackend } | undefined;

  constructor(provider: NetPortBackends) {
    super();
    this.#provider = provider;
  }

  /** The target name the client sockets expect of the server. */
  get serverTargetName(): string {
    return this.#provider.serverTargetName;
  }

  /** This test's backend pair, created on first use and closed after the test. */
  get backends(): { server: SecureSocketBackend; client: SecureSocketBackend } {
    if (!this.#backends) {
      const backends = this.#provider.create();
      this.#backends = backends;
      this.onCleanup(() => Promise.all([backends.server.close(), backends.client.close()]));
    }
    return this.#backends;
  }

  /** The `net` module as the port sees it. */
  get net(): NetLike {
    return makeNet(this);
  }
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
  /** net.Stream: the legacy name of net.Socket. */
  Stream: new (
    options?: object,
  ) => realNet.Socket;
  connect(...args: any[]): realNet.Socket;
  createConnection(...args: any[]): realNet.Socket;
}

/**
 * The options of `new net.Socket(options)` passed on to createSocket, when any is given: those it
 * takes, and net.Socket's own stream options (signal, onread, the object modes net refuses), so
 * that a backend is tested on them as net.connect tests net.Socket.
 */
const SOCKET_KEYS = [
  'allowHalfOpen',
  'highWaterMark',
  'readableHighWaterMark',
  'writableHighWaterMark',
  'signal',
  'onread',
  'objectMode',
  'readableObjectMode',
  'writableObjectMode',
];
function socketOptions(options: object | undefined): object | undefined {
  if (options === undefined) return undefined;
  const own = Object.entries(options).filter(
    ([key, value]) => SOCKET_KEYS.includes(key) && value !== undefined,
  );
  return own.length === 0 ? undefined : Object.fromEntries(own);
}

function makeNet(t: NodeNetTest): NetLike {
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
    // its own (allowHalfOpen and the stream's high-water marks).
    const socket = t.backends.client.createSocket(socketOptions(options) as never) as unknown as SecureSocket;
    // A socket without WSASetSocketSecurity is a plain TCP socket (a server that requires
    // protection never delivers it): every port's client is a secured socket.
    socket.setSecurity({});
    socket.setPeerTargetName(t.serverTargetName);
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
    const socket = new Socket(typeof first === 'object' && first !== null ? socketOptions(first) : undefined);
    socket.connect(...(args as [any]));
    return socket;
  };
  // net.Server works with and without `new`, as net.Socket does.
  const Server = function Server(
    options?: object | ((socket: realNet.Socket) => void),
    listener?: (socket: realNet.Socket) => void,
  ) {
    return createServer(options, listener);
  } as NetLike['Server'];
  return { createServer, Server, Socket, Stream: Socket, connect, createConnection: connect };
}
