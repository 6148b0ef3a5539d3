/**
 * Support for the ports of Node's test/parallel http tests: Node's `test/common` (mustCall family,
 * `t.done()`/`await t.end()`, bounded cleanup) from `@wsasec/conformance/node-common`, and a sim
 * realm whose server (createSecureServer) and agent (SecureAgent) stand in for http.createServer
 * and http.Agent. NODE_PARALLEL_CONTROL=1 runs the ports against Node's own http.Agent,
 * http.createServer and net instead: the control run that shows a port is faithful.
 */
import * as http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CONTROL,
  Countdown,
  delay,
  HOST,
  NodeCommon,
  platformTimeout,
  portOf,
  useNodeTest as useCommon,
} from '@wsasec/conformance/node-common';
import type { SecuritySettings } from '@wsasec/core';
import { createSecureServer, SecureAgent, type SecureAgentOptions } from '@wsasec/http-adapter';
import { createSimFixture, SERVER, type SimFixture } from '../support/sim-fixture.js';

export { SERVER };

const require = createRequire(import.meta.url);

export { CONTROL, Countdown, delay, HOST, platformTimeout, portOf };

export class NodeTest extends NodeCommon {
  #fixture: SimFixture | undefined;

  /** The sim realm: `server` runs as host/server.contoso.com, `machine` as client.contoso.com. */
  get fixture(): SimFixture {
    if (!this.#fixture) {
      const fixture = createSimFixture();
      this.#fixture = fixture;
      this.onCleanup(() => fixture.close());
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
      : createSecureServer({ backend: this.fixture.server, ...opts }, listener);
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
    const agent = new SecureAgent({
      backend: this.fixture.machine,
      peerTargetName: SERVER,
      keepAlive: false,
      ...(security ? { security } : {}),
      ...options,
    } as SecureAgentOptions);
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
    socket.setPeerTargetName(SERVER);
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
    socket.setPeerTargetName(SERVER);
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
  agentClass(): { Base: typeof SecureAgent; base: Partial<SecureAgentOptions> } {
    if (CONTROL) return { Base: http.Agent as unknown as typeof SecureAgent, base: {} };
    return { Base: SecureAgent, base: { backend: this.fixture.machine, peerTargetName: SERVER } };
  }
}

export { http };

/** Registers beforeEach/afterEach for a file and returns the current test's NodeTest. */
export function useNodeTest(): () => NodeTest {
  return useCommon(() => new NodeTest());
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
