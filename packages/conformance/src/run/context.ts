/**
 * What each conformance case works with: the fixture, and helpers that create servers, sockets
 * and clear-text peers which are all torn down after the case, whatever happened.
 * @module
 */

import * as net from 'node:net';
import type {
  CreateSocketOptions,
  PeerTargetName,
  SecureDatagramSocket,
  SecureServer,
  SecureSocket,
  SecureSocketBackend,
  SecuritySettings,
} from '@wsasec/core';
import { closeServer, listenServer } from '@wsasec/core';
import type { ConformanceCapabilities, ConformanceFixture } from '../types.js';
import { closed, STEP_TIMEOUT_MS, within } from './helpers.js';

/** A listening server and what it has accepted so far. */
export interface Listening {
  readonly server: SecureServer;
  readonly host: string;
  readonly port: number;
  /** Every socket the server emitted as 'connection', in order. */
  readonly accepted: SecureSocket[];
  /** The next accepted socket not yet returned by this method. */
  nextConnection(): Promise<SecureSocket>;
}

/** Options of {@link CaseContext.connect} and {@link CaseContext.pair}. */
export interface PairOptions {
  /** Client settings (default: none given, the default policy). */
  client?: SecuritySettings;
  /** Server settings (default: none given). */
  server?: SecuritySettings;
  /** Target name; default the fixture's `serverTargetName`, `null` for none. */
  peerTargetName?: string | PeerTargetName | null;
}

/** A peer without security, listening. */
export interface PlainServer {
  readonly port: number;
  /** Everything every connection has sent so far. */
  received(): Buffer;
  /** Resolves once every connection accepted so far has closed. */
  settled(): Promise<void>;
  /** Sends `data` to every connection (for clear-text replies). */
  broadcast(data: Buffer | string): void;
}

/** The end of a clear-text connection, whichever kind of socket it is. */
type PlainSocket = NodeJS.EventEmitter & {
  closed?: boolean;
  write(data: Buffer | string): unknown;
  destroy(): unknown;
};

/** The per-case context handed to every case. */
export class CaseContext {
  readonly fixture: ConformanceFixture;
  readonly capabilities: ConformanceCapabilities;
  #create: () => ConformanceFixture | Promise<ConformanceFixture>;
  #skip: (note: string) => never;
  #cleanups: (() => unknown)[] = [];

  constructor(
    fixture: ConformanceFixture,
    capabilities: ConformanceCapabilities,
    create: () => ConformanceFixture | Promise<ConformanceFixture>,
    skip: (note: string) => never,
  ) {
    this.fixture = fixture;
    this.capabilities = capabilities;
    this.#create = create;
    this.#skip = skip;
  }

  /** Skips the running case, for a gap only known once the fixture exists. */
  skip(reason: string): never {
    return this.#skip(reason);
  }

  get client(): SecureSocketBackend {
    return this.fixture.client;
  }
  get server(): SecureSocketBackend {
    return this.fixture.server;
  }
  /** The fixture's wrong name, or one derived from the right name. */
  get wrongTargetName(): string {
    return this.fixture.wrongTargetName ?? `${this.fixture.serverTargetName}-not-this-one`;
  }

  /** Runs `fn` after the case (last registered, first run). */
  defer(fn: () => unknown): void {
    this.#cleanups.push(fn);
  }

  /** Destroys `socket` after the case. */
  track<T extends { destroy(): unknown }>(socket: T): T {
    this.defer(() => socket.destroy());
    return socket;
  }

  /** A new unconnected stream socket of the client backend, destroyed after the case. */
  socket(
    opts?: CreateSocketOptions & { type?: 'stream' },
    backend: SecureSocketBackend = this.client,
  ): SecureSocket {
    const socket = this.track(backend.createSocket(opts));
    socket.on('error', () => {});
    return socket;
  }

  /** A new datagram socket (of the client backend unless told), closed after the case. */
  datagram(
    opts: { family?: 'ipv4' | 'ipv6' } = {},
    backend: SecureSocketBackend = this.client,
  ): SecureDatagramSocket {
    const socket = backend.createSocket({ ...opts, type: 'dgram' });
    socket.on('error', () => {});
    this.defer(() => new Promise<void>((resolve) => socket.close(resolve)));
    return socket;
  }

  /** A listening server on 127.0.0.1 (any port), closed after the case. */
  async listen(security?: SecuritySettings, backend = this.server): Promise<Listening> {
    const server = backend.createServer(security === undefined ? {} : { security });
    const accepted: SecureSocket[] = [];
    const waiting: ((s: SecureSocket) => void)[] = [];
    let taken = 0;
    server.on('connection', (socket: SecureSocket) => {
      socket.on('error', () => {});
      accepted.push(socket);
      waiting.shift()?.(socket);
    });
    server.on('error', () => {});
    this.defer(async () => {
      server.closeAllConnections();
      await within(closeServer(server), 'closeServer(server) after the case');
    });
    const address = await within(
      listenServer(server, { host: '127.0.0.1', port: 0 }),
      'listenServer(server)',
    );
    return {
      server,
      host: address.address,
      port: address.port,
      accepted,
      nextConnection: () => {
        const ready = accepted[taken];
        if (ready) {
          taken++;
          return Promise.resolve(ready);
        }
        return within(
          new Promise<SecureSocket>((resolve) =>
            waiting.push((socket) => {
              taken++;
              resolve(socket);
            }),
          ),
          "the server's 'connection' event",
        );
      },
    };
  }

  /** `backend.connect` to a listening server, with the fixture's target name unless told otherwise. */
  async connect(to: { port: number; host?: string }, opts: PairOptions = {}, backend = this.client) {
    const name = opts.peerTargetName === undefined ? this.fixture.serverTargetName : opts.peerTargetName;
    const socket = await within(
      backend.connect({
        host: to.host ?? '127.0.0.1',
        port: to.port,
        ...(opts.client === undefined ? {} : { security: opts.client }),
        ...(name === null ? {} : { peerTargetName: name }),
      }),
      'backend.connect()',
    );
    socket.on('error', () => {});
    return this.track(socket);
  }

  /** A server with `opts.server`, a client connected to it with `opts.client`, and the accepted end. */
  async pair(opts: PairOptions = {}) {
    const listening = await this.listen(opts.server);
    const client = await this.connect(listening, opts);
    const accepted = await listening.nextConnection();
    return { listening, client, accepted };
  }

  /** A fresh fixture from `create()`, closed after the case (for cases that close backends). */
  async freshFixture(): Promise<ConformanceFixture> {
    const fixture = await within(Promise.resolve(this.#create()), 'create()');
    this.defer(() => within(fixture.close(), 'fixture.close()'));
    return fixture;
  }

  /** A server without security: the fixture's insecure peer, else Node's `net`. */
  async plainServer(): Promise<PlainServer> {
    const chunks: Buffer[] = [];
    const open = new Set<PlainSocket>();
    const adopt = (socket: PlainSocket) => {
      open.add(socket);
      socket.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
      socket.on('error', () => {});
      socket.once('close', () => open.delete(socket));
    };
    let port: number;
    const peer = this.fixture.insecurePeer;
    if (peer) {
      const listening = await this.listen(undefined, peer);
      listening.server.on('connection', adopt);
      port = listening.port;
    } else {
      const server = net.createServer(adopt);
      this.defer(
        () =>
          new Promise<void>((resolve) => {
            for (const socket of open) socket.destroy();
            server.close(() => resolve());
          }),
      );
      await within(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 'net listen');
      port = (server.address() as net.AddressInfo).port;
    }
    return {
      port,
      received: () => Buffer.concat(chunks),
      settled: () =>
        within(
          Promise.all([...open].map((s) => closed(s))).then(() => {}),
          'the clear-text peer to close',
        ),
      broadcast: (data) => {
        for (const socket of open) socket.write(data);
      },
    };
  }

  /**
   * A client without security connects to `port`, sends `data` and ends its side. `connected`
   * tells whether its connect succeeded; `closed` resolves once it is closed (by either end).
   */
  async plainClientSend(
    port: number,
    data: Buffer | string,
  ): Promise<{ connected: boolean; closed: Promise<void> }> {
    const peer = this.fixture.insecurePeer;
    if (peer) {
      let socket: SecureSocket;
      try {
        socket = await this.connect({ port }, { peerTargetName: null }, peer);
      } catch {
        return { connected: false, closed: Promise.resolve() };
      }
      socket.end(data);
      socket.resume();
      return { connected: true, closed: closed(socket, 'the clear-text client to close') };
    }
    const socket = this.track(net.connect({ host: '127.0.0.1', port }));
    socket.on('error', () => {});
    const connected = await within(
      new Promise<boolean>((resolve) => {
        socket.once('connect', () => resolve(true));
        socket.once('close', () => resolve(false));
      }),
      'the clear-text client to connect',
    );
    if (connected) {
      socket.end(data);
      socket.resume();
    }
    return { connected, closed: closed(socket, 'the clear-text client to close') };
  }

  /** Runs every deferred cleanup (each bounded), reporting the first failure after all ran. */
  async cleanup(): Promise<void> {
    let failure: unknown;
    for (const fn of this.#cleanups.reverse()) {
      try {
        await within(Promise.resolve().then(fn), 'a cleanup step', STEP_TIMEOUT_MS);
      } catch (error) {
        failure ??= error;
      }
    }
    this.#cleanups = [];
    if (failure) throw failure;
  }
}
