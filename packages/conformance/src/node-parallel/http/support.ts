/**
 * Support for the ports of Node's test/parallel http tests: Node's `test/common` (mustCall family,
 * `t.done()`/`await t.end()`, bounded cleanup) from `../../node-common`, and a backend pair whose
 * server (the http-adapter's createSecureServer) and agent (its SecureAgent) stand in for
 * http.createServer and http.Agent. The adapter is passed in (this package does not depend on it).
 * NODE_PARALLEL_CONTROL=1 runs the ports against Node's own http.Agent, http.createServer and net
 * instead: the control run that shows a port is faithful.
 */
import * as http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { SecureSocketBackend, SecuritySettings } from '@wsasec/core';
import {
  CONTROL,
  Countdown,
  delay,
  HOST,
  NodeCommon,
  platformTimeout,
  portOf,
} from '../../node-common/common.js';

const require = createRequire(import.meta.url);

export { CONTROL, Countdown, delay, HOST, platformTimeout, portOf };

/** The options of the http-adapter's `SecureAgent` the ports use (`http.AgentOptions` and its own). */
export type SecureAgentOptions = http.AgentOptions & {
  backend?: SecureSocketBackend;
  peerTargetName?: string;
  security?: SecuritySettings;
  [option: string]: unknown;
};

/** The http-adapter's `SecureAgent` as the ports use it: an `http.Agent`. */
export type SecureAgent = http.Agent & { getName(options?: object): string };

/** The http-adapter entry points the ports stand in for Node's (`@wsasec/http-adapter`'s own). */
export interface HttpAdapter {
  createSecureServer(
    options: http.ServerOptions & { backend: SecureSocketBackend },
    handler?: http.RequestListener,
  ): http.Server;
  SecureAgent: new (options: SecureAgentOptions & { backend: SecureSocketBackend }) => SecureAgent;
}

/** What a run of the http ports stands in for Node's http and net. */
export interface HttpPortBackends {
  /**
   * A fresh pair for one test: the server's and the client's backend, closed after the test by
   * `close` when given (e.g. a fixture with more backends), else by each backend's own.
   */
  create(): { server: SecureSocketBackend; client: SecureSocketBackend; close?: () => Promise<void> };
  /** The target name the agent and client sockets expect of the server. */
  serverTargetName: string;
  /** `@wsasec/http-adapter` (its `createSecureServer` and `SecureAgent`). */
  adapter: HttpAdapter;
}

/** One port's Node `test/common` and its http/net stand-ins. */
export class NodeHttpTest extends NodeCommon {
  readonly #provider: HttpPortBackends;
  #fixture: { server: SecureSocketBackend; machine: SecureSocketBackend } | undefined;

  constructor(provider: HttpPortBackends) {
    super();
    this.#provider = provider;
  }

  /** This test's backends: `server` serves, `machine` is the client (created on first use). */
  get fixture(): { server: SecureSocketBackend; machine: SecureSocketBackend } {
    if (!this.#fixture) {
      const { server, client, close } = this.#provider.create();
      this.#fixture = { server, machine: client };
      this.onCleanup(() => (close ? close() : Promise.all([server.close(), client.close()])));
    }
    return this.#fixture;
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
      : this.#provider.adapter.createSecureServer({ backend: this.fixture.server, ...opts }, listener);
    this.onCleanup(async () => {
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
      this.onCleanup(() => plain.destroy());
      return plain;
    }
    const agent = new this.#provider.adapter.SecureAgent({
      backend: this.fixture.machine,
      peerTargetName: this.#provider.serverTargetName,
      keepAlive: false,
      ...(security ? { security } : {}),
      ...options,
    } as SecureAgentOptions & { backend: SecureSocketBackend });
    this.onCleanup(() => agent.destroy());
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
      this.onCleanup(() => plain.destroy());
      return cb ? plain.connect(port, HOST, cb) : plain.connect(port, HOST);
    }
    const socket = this.fixture.machine.createSocket();
    // Secured (an unsecured socket is plain TCP, which the sim's server never delivers).
    socket.setSecurity({});
    socket.setPeerTargetName(this.#provider.serverTargetName);
    this.onCleanup(() => socket.destroy());
    const result = (socket as any).connect(port, HOST, ...(cb ? [cb] : []));
    if (result && typeof result.then === 'function') result.then(undefined, () => {});
    return socket as unknown as import('node:net').Socket;
  }

  /** new net.Socket() → a sim stream socket of client.contoso.com, target host/server.contoso.com. */
  netSocket(): import('node:net').Socket {
    if (CONTROL) {
      const plain = new (require('node:net') as typeof import('node:net')).Socket();
      this.onCleanup(() => plain.destroy());
      return plain;
    }
    const socket = this.fixture.machine.createSocket();
    socket.setSecurity({});
    socket.setPeerTargetName(this.#provider.serverTargetName);
    this.onCleanup(() => socket.destroy());
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
    this.onCleanup(async () => {
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await Promise.race([new Promise((resolve) => server.close(resolve)), delay(1000)]);
    });
    return server;
  }

  /** The agent class to subclass (SecureAgent; http.Agent in the control run), and its base options. */
  agentClass(): { Base: HttpAdapter['SecureAgent']; base: Partial<SecureAgentOptions> } {
    if (CONTROL) return { Base: http.Agent as unknown as HttpAdapter['SecureAgent'], base: {} };
    return {
      Base: this.#provider.adapter.SecureAgent,
      base: { backend: this.fixture.machine, peerTargetName: this.#provider.serverTargetName },
    };
  }
}

export { http };

/** A plain TCP listener on 127.0.0.1 that accepts and never answers (a peer that never negotiates). */
export async function silentPeer(t: NodeHttpTest): Promise<number> {
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
