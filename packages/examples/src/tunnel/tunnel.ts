import { once } from 'node:events';
import * as net from 'node:net';
import { pipeline } from 'node:stream';
import {
  FILE_GENERIC_READ,
  listenServer,
  type PeerTargetName,
  type SecureServer,
  type SecureSocket,
  type SecureSocketBackend,
  type SecuritySettings,
  TOKEN_QUERY,
} from '@wsasec/core';
import { errorCode, formatPrincipal } from '../shared/security-format.js';

/** A TCP endpoint. */
export interface Endpoint {
  /** IP literal or host name. */
  host: string;
  /** TCP port (0 to listen on any free port). */
  port: number;
}

/** What a running tunnel gives back. */
export interface TunnelHandle {
  /** The address the tunnel listens on. */
  address(): net.AddressInfo;
  /** Connection pairs currently forwarding. */
  readonly connections: number;
  /** Stops listening, destroys every live pair; resolves once the listener is closed. */
  close(): Promise<void>;
}

/** Options shared by both ends. */
interface TunnelCommon {
  backend: SecureSocketBackend;
  listen: Endpoint;
  security?: SecuritySettings | undefined;
  /** One line per event (listening, each connection's open and close, refusals). */
  log?: ((line: string) => void) | undefined;
  /** Bound of the outgoing connect (and negotiation), ms (default 10000). */
  connectTimeout?: number | undefined;
}

/** Options of {@link startTunnelServer}. */
export interface TunnelServerOptions extends TunnelCommon {
  /** The plain TCP service each secured connection is forwarded to. */
  forward: Endpoint;
  /** Refuse a peer that did not authenticate a user (only the machine). */
  requireUser?: boolean | undefined;
  /** Access check of the peer's token (its user's, else its machine's) against this SDDL. */
  allow?: { sddl: string; access?: number } | undefined;
}

/** Options of {@link startTunnelClient}. */
export interface TunnelClientOptions extends TunnelCommon {
  /** The tunnel server. */
  connect: Endpoint;
  /** The principal the tunnel server must prove (`host/<fqdn>`). */
  peerTargetName: string | PeerTargetName;
}

/** Formats `host:port` (IPv6 in brackets). */
export function formatEndpoint(address: string | undefined, port: number | undefined): string {
  const host = address ?? '?';
  return `${host.includes(':') ? `[${host}]` : host}:${port ?? '?'}`;
}

/** Destroys a socket after an error or at shutdown: a plain TCP socket with a reset, so its peer sees one too. */
function abort(socket: net.Socket | SecureSocket): void {
  if (socket.destroyed) return;
  // A reset is only possible once connected and before our FIN went out (libuv refuses it while
  // shutting down; net defers it to 'connect' while connecting, which may never come).
  // A secured socket is a net.Socket too (on both backends): it is told apart by its query, and
  // destroyed, so that its peer gets the authenticated close rather than a bare reset.
  const secured = typeof (socket as Partial<SecureSocket>).querySecurity === 'function';
  if (!secured && socket instanceof net.Socket && !socket.connecting && !socket.writableEnded)
    socket.resetAndDestroy();
  else socket.destroy();
}

/**
 * Pipes two sockets both ways with backpressure (stream.pipeline): one side's end ends the other's
 * writable side (half-close), an error or reset on either destroys both. `done` runs once, when both
 * sockets are closed.
 */
function splice(
  a: net.Socket | SecureSocket,
  b: net.Socket | SecureSocket,
  done: (error?: Error) => void,
): void {
  let firstError: Error | undefined;
  let pending = 2;
  let closed = 0;
  // Two pipelines per socket (source of one, destination of the other) add more than net's default
  // of 10 'close' listeners; the count is fixed per pair, not a leak.
  a.setMaxListeners(32);
  b.setMaxListeners(32);
  // Errors are reported through the pipelines' callbacks; a late one after both finished is moot.
  a.on('error', () => {});
  b.on('error', () => {});
  const fail = (error: Error | null | undefined) => {
    if (error) {
      firstError ??= error;
      abort(a);
      abort(b);
    }
  };
  const finished = (error: Error | null | undefined) => {
    fail(error);
    pending -= 1;
    // Both directions ended: nothing more can flow, release both sockets.
    if (pending === 0) {
      a.destroy();
      b.destroy();
    }
  };
  const onClose = () => {
    closed += 1;
    if (closed === 2) done(firstError);
  };
  a.once('close', onClose);
  b.once('close', onClose);
  pipeline(a, b as NodeJS.WritableStream, finished);
  pipeline(b, a as NodeJS.WritableStream, finished);
}

function peerIdentity(secure: SecureSocket): {
  text: string;
  token?: import('@wsasec/core').PeerToken;
  hasUser: boolean;
  close: () => void;
} {
  const info = secure.querySecurity({ tokenAccess: TOKEN_QUERY });
  const user = info.peerApplicationToken?.user;
  const machine = info.peerMachineToken?.user;
  const protection = info.encrypted ? 'encrypted' : info.secured ? 'integrity only' : 'not secured';
  const text = `machine ${formatPrincipal(machine)}, user ${formatPrincipal(user)}, ${protection}`;
  const token = info.peerApplicationToken ?? info.peerMachineToken;
  return { text, ...(token ? { token } : {}), hasUser: user !== undefined, close: () => info.close() };
}

class Tunnel implements TunnelHandle {
  readonly #server: net.Server | SecureServer;
  readonly #live = new Set<net.Socket | SecureSocket>();
  #closing: Promise<void> | undefined;
  constructor(server: net.Server | SecureServer) {
    this.#server = server;
  }
  track(...sockets: (net.Socket | SecureSocket)[]): void {
    for (const socket of sockets) {
      this.#live.add(socket);
      socket.once('close', () => this.#live.delete(socket));
    }
  }
  get connections(): number {
    return Math.floor(this.#live.size / 2);
  }
  address(): net.AddressInfo {
    const bound = this.#server.address() as { address: string; port: number; family: string } | null;
    if (!bound) throw new Error('the tunnel is not listening');
    return { address: bound.address, port: bound.port, family: bound.family };
  }
  /** True once {@link close} was called. */
  get stopping(): boolean {
    return this.#closing !== undefined;
  }
  /** `, <code>` of the error a pair ended with (`, tunnel stopping` at shutdown), or nothing. */
  reason(error: Error | undefined): string {
    if (this.stopping) return ', tunnel stopping';
    return error ? `, ${errorCode(error)}` : '';
  }
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = once(this.#server as net.Server, 'close');
      this.#server.close();
      const sockets = [...this.#live];
      // Every socket still tracked has not emitted 'close' yet (tracking ends there).
      const gone = sockets.map((socket) => new Promise((resolve) => socket.once('close', resolve)));
      for (const socket of sockets) abort(socket);
      await Promise.all([closed, ...gone]);
      // Let each pair's close line out before the caller reports the stop.
      await new Promise((resolve) => setImmediate(resolve));
    })();
    return this.#closing;
  }
}

/**
 * The server end: accepts secured connections only (`backend.createServer` with `security`), checks
 * the peer (a user when `requireUser`, the `allow` access check), then opens a plain TCP connection
 * to `forward` and pipes both ways. A refused peer is closed before any byte reaches the service.
 */
export async function startTunnelServer(opts: TunnelServerOptions): Promise<TunnelHandle> {
  const log = opts.log ?? (() => {});
  const forward = formatEndpoint(opts.forward.host, opts.forward.port);
  let id = 0;
  const server = opts.backend.createServer(
    { ...(opts.security ? { security: opts.security } : {}), allowHalfOpen: true, pauseOnConnect: true },
    (secure) => {
      const n = ++id;
      const from = formatEndpoint(secure.remoteAddress, secure.remotePort);
      tunnel.track(secure);
      let identity: ReturnType<typeof peerIdentity>;
      try {
        identity = peerIdentity(secure);
      } catch (error) {
        log(`#${n} refused ${from}: ${errorCode(error)}: ${(error as Error).message}`);
        secure.destroy();
        return;
      }
      let refusal: string | undefined;
      try {
        if (opts.requireUser && !identity.hasUser) refusal = 'no user authenticated (--require-user)';
        else if (opts.allow) {
          if (!identity.token) refusal = 'no peer token for the access check';
          else {
            const result = opts.backend.accessCheck(
              identity.token,
              opts.allow.sddl,
              opts.allow.access ?? FILE_GENERIC_READ,
            );
            if (!result.granted) refusal = `access denied by ${opts.allow.sddl}`;
          }
        }
      } catch (error) {
        refusal = `access check failed: ${errorCode(error)}: ${(error as Error).message}`;
      } finally {
        identity.close();
      }
      if (refusal) {
        log(`#${n} refused ${from} (${identity.text}): ${refusal}`);
        secure.destroy();
        return;
      }
      const plain = net.connect({ host: opts.forward.host, port: opts.forward.port, allowHalfOpen: true });
      tunnel.track(plain);
      plain.setTimeout(opts.connectTimeout ?? 10_000, () => {
        if (plain.connecting)
          plain.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
      });
      plain.once('connect', () => {
        plain.setTimeout(0);
        log(`#${n} open ${from} (${identity.text}) -> ${forward}`);
      });
      splice(secure, plain, (error) => {
        const why = tunnel.reason(error);
        log(
          `#${n} closed ${from} (${identity.text}): ${plain.bytesWritten} bytes in, ${plain.bytesRead} bytes out${why}`,
        );
      });
    },
  );
  const tunnel = new Tunnel(server);
  server.on('negotiationError', (error: Error) => {
    log(`refused a connection: ${errorCode(error)}: ${error.message}`);
  });
  server.on('error', (error: Error) => log(`server error: ${errorCode(error)}: ${error.message}`));
  await listenServer(server, { host: opts.listen.host, port: opts.listen.port });
  return tunnel;
}

/**
 * The client end: accepts plain TCP connections on `listen` and carries each over a new secured
 * connection to the tunnel server, which must prove `peerTargetName`. When the connection cannot
 * be secured the plain connection is closed and the reason logged.
 */
export async function startTunnelClient(opts: TunnelClientOptions): Promise<TunnelHandle> {
  const log = opts.log ?? (() => {});
  const remote = formatEndpoint(opts.connect.host, opts.connect.port);
  let id = 0;
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (plain) => {
    const n = ++id;
    const from = formatEndpoint(plain.remoteAddress, plain.remotePort);
    tunnel.track(plain);
    const abort = new AbortController();
    plain.once('close', () => abort.abort());
    plain.on('error', () => {});
    opts.backend
      .connect({
        host: opts.connect.host,
        port: opts.connect.port,
        ...(opts.security ? { security: opts.security } : {}),
        peerTargetName: opts.peerTargetName,
        timeout: opts.connectTimeout ?? 10_000,
        signal: abort.signal,
      })
      .then(
        (secure) => {
          if (plain.destroyed) {
            secure.destroy();
            return;
          }
          tunnel.track(secure);
          secure.allowHalfOpen = true;
          let identity = '(unknown)';
          try {
            const peer = peerIdentity(secure);
            identity = peer.text;
            peer.close();
          } catch {}
          log(`#${n} open ${from} -> ${remote} (${identity})`);
          splice(plain, secure, (error) => {
            const why = tunnel.reason(error);
            log(`#${n} closed ${from}: ${plain.bytesRead} bytes out, ${plain.bytesWritten} bytes in${why}`);
          });
        },
        (error: Error) => {
          if (!plain.destroyed)
            log(`#${n} refused ${from} -> ${remote}: ${errorCode(error)}: ${error.message}`);
          plain.destroy();
        },
      );
  });
  const tunnel = new Tunnel(server);
  server.listen({ host: opts.listen.host, port: opts.listen.port });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
  return tunnel;
}
