import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import type * as tls from 'node:tls';
import { type PeerTargetName, type SecureSocketBackend, SecureSocketError } from '@wsasec/core';
import { connectSecured } from '../connect/connect.js';
import { debug } from '../connect/observe.js';
import {
  checkBackend,
  checkTargetOption,
  checkTimeout,
  invalidArgument,
  isObject,
  type PeerTargetNameOption,
  type ResolvedPolicy,
  resolvePolicy,
  resolveTarget,
  type SecureClientOptions,
  targetKey,
} from '../connect/options.js';
import { hangUpError, PendingConnection, watchDestroy } from './pending.js';

/** Options of {@link SecureAgent}: the secure-socket settings plus every `http.AgentOptions`. */
export interface SecureAgentOptions extends SecureClientOptions, Omit<http.AgentOptions, 'keepAlive'> {
  /** Keep sockets for reuse (default `true`: every new connection costs an IPsec negotiation). */
  keepAlive?: boolean;
  /**
   * Layer TLS on the secured socket (HTTPS over IPsec): `true`, or `tls.connect` options (`ca`,
   * `servername`, `rejectUnauthorized`, …). The agent then serves `https:` URLs.
   */
  tls?: boolean | tls.ConnectionOptions;
}

/**
 * Per-request options `SecureAgent` reads from `http.request(url, { agent, security, peerTargetName })`:
 * they override the agent's settings for that request, and the pool keeps such sockets apart.
 */
export interface SecureRequestOptions {
  /** Security settings for this request only. */
  security?: SecureClientOptions['security'];
  /** Target name for this request only. */
  peerTargetName?: string | PeerTargetName;
}

type RequestOptions = http.ClientRequestArgs &
  SecureRequestOptions & {
    _agentKey?: string;
    servername?: string;
    noDelay?: boolean;
    keepAlive?: boolean;
    keepAliveInitialDelay?: number;
  };
type Callback = (error: Error | null, socket: Duplex) => void;

interface AgentInternals {
  createSocket(req: http.ClientRequest, options: RequestOptions, cb: Callback): void;
  addRequest(req: http.ClientRequest, options: RequestOptions): void;
}
interface AgentPools {
  sockets: Record<string, unknown[] | undefined>;
  freeSockets: Record<string, Duplex[] | undefined>;
  requests: Record<string, http.ClientRequest[] | undefined>;
  totalSocketCount: number;
  maxSockets: number;
  maxTotalSockets: number;
}
interface OnSocket {
  onSocket(socket: Duplex | undefined, error?: Error): void;
}
const base = http.Agent.prototype as unknown as AgentInternals;
const MAX_CACHED_NAMES = 256;

/**
 * An `http.Agent` whose connections are secured by a wsasec backend: each new socket is created,
 * secured (`WSASetSocketSecurity`), given the peer target name (`WSASetSocketPeerTargetName`) and
 * connected (`WSAConnect`) before http writes a byte. Works as `agent` for `http.request`/`http.get`,
 * axios (`httpAgent`) and got (`agent.http`); with `tls` it serves `https:` (TLS over IPsec).
 *
 * Never falls back to an unsecured socket: a failed negotiation fails the request, unless the
 * settings say `allowInsecure`. The pool key covers every security-relevant field, so differently
 * secured sockets are never reused for each other.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (no backend, wrong option types),
 *   `WSAEINVAL`/`WSAEMSGSIZE` (bad settings or target name), `WSAEOPNOTSUPP` (`localAddress`,
 *   `socketPath`).
 */
export class SecureAgent extends http.Agent {
  /** The backend every connection of this agent goes through. */
  readonly backend: SecureSocketBackend;
  /** The http.Agent options in effect (Node keeps them; typed as https's so the agent fits `https.request`). */
  declare options: https.AgentOptions;
  readonly #policy: ResolvedPolicy;
  readonly #target: PeerTargetNameOption | undefined;
  readonly #tls: tls.ConnectionOptions | undefined;
  readonly #connectTimeout: number | undefined;
  readonly #secret: Buffer;
  readonly #policies = new WeakMap<object, ResolvedPolicy>();
  readonly #names = new Map<string, string>();
  readonly #queued = new WeakMap<http.ClientRequest, RequestOptions>();
  #creatingFor: http.ClientRequest | undefined;

  constructor(options: SecureAgentOptions) {
    const where = 'SecureAgent';
    if (!isObject(options)) {
      throw invalidArgument(
        'new SecureAgent(options) needs { backend, security?, peerTargetName?, … }',
        where,
      );
    }
    const { backend, security, peerTargetName, tls: tlsOption, connectTimeout, ...agentOptions } = options;
    const checkedBackend = checkBackend(backend, where);
    const secret = randomBytes(32);
    const policy = resolvePolicy(security, secret, 'WSASetSocketSecurity');
    const target = checkTargetOption(peerTargetName, policy.normalized.protocol, where);
    if (tlsOption !== undefined && typeof tlsOption !== 'boolean' && !isObject(tlsOption)) {
      throw invalidArgument('SecureAgent: tls must be true, false or tls.connect options', where);
    }
    const timeout = checkTimeout(connectTimeout, 'connectTimeout', where);
    rejectUnsupported(agentOptions as RequestOptions, where);
    super({ keepAlive: true, ...agentOptions });
    this.backend = checkedBackend;
    this.#secret = secret;
    this.#policy = policy;
    this.#target = target;
    this.#tls = tlsOption === true ? {} : tlsOption || undefined;
    this.#connectTimeout = timeout;
    if (this.#tls) Object.assign(this, { protocol: 'https:', defaultPort: 443 });
  }

  /**
   * The pool key: Node's `host:port:localAddress:family` (plus the TLS fields with `tls`), then the
   * protocol, security and IPsec flags, policy keys, credential identity (the password only as a
   * keyed digest) and the target name.
   * @throws SecureSocketError for bad per-request settings or a bad target name.
   */
  override getName(options: http.ClientRequestArgs = {}): string {
    const name = this.#tls
      ? https.Agent.prototype.getName.call(this, { ...options, ...this.#tls } as https.RequestOptions)
      : super.getName(options);
    const opts = options as RequestOptions;
    // Node asks for the key several times per request; with the agent's own settings and a fixed
    // target name it depends on Node's part of the key alone.
    const cacheable =
      opts.security === undefined && opts.peerTargetName === undefined && typeof this.#target !== 'function';
    let key = cacheable ? this.#names.get(name) : undefined;
    if (key === undefined) {
      const policy = this.#policyFor(opts);
      const host = opts.host || 'localhost';
      const port = Number(opts.port || (this as unknown as { defaultPort: number }).defaultPort);
      key = `${name}|wsasec|${policy.key}|${targetKey(this.#targetFor(opts, policy, host, port).normalized)}`;
      if (cacheable) {
        if (this.#names.size >= MAX_CACHED_NAMES) this.#names.clear();
        this.#names.set(name, key);
      }
    }
    return key;
  }

  /**
   * Node's internal entry point; remembered so the connect can follow its request.
   * @internal
   */
  createSocket(req: http.ClientRequest, options: RequestOptions, cb: Callback): void {
    this.#creatingFor = req;
    try {
      base.createSocket.call(this, req, options, cb);
    } finally {
      this.#creatingFor = undefined;
    }
  }

  /**
   * Node's internal entry point; drops dead idle sockets before the pool picks one.
   * @internal
   */
  addRequest(req: http.ClientRequest, options: RequestOptions): void {
    this.#pruneFreeSockets();
    this.#queued.set(req, options);
    base.addRequest.call(this, req, options);
  }

  /**
   * Secures and connects a socket through the backend, then calls `callback(error, socket)`.
   * Always asynchronous: returns `undefined`.
   * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` without a callback.
   */
  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): undefined {
    if (typeof callback !== 'function') {
      throw invalidArgument(
        'SecureAgent.createConnection secures the socket asynchronously and needs a callback',
        'connect',
      );
    }
    const opts = options as RequestOptions;
    const req = this.#creatingFor;
    const key = opts._agentKey ?? this.getName(opts);
    const pending = this.#reserve(key);
    const watch = req ? watchDestroy(req, (reason) => pending.destroy(reason)) : undefined;
    this.#connect(opts, pending.signal).then(
      (socket) => {
        watch?.release();
        this.#unreserve(key, pending);
        this.#prepare(socket, opts);
        callback(null, socket);
      },
      (error: Error) => {
        watch?.release();
        this.#unreserve(key, pending);
        callback(req?.destroyed ? (watch?.reason ?? hangUpError()) : error, undefined as never);
        this.#nextQueued(key);
      },
    );
    return undefined;
  }

  async #connect(options: RequestOptions, signal: AbortSignal): Promise<Duplex> {
    rejectUnsupported(options, 'connect');
    const host = options.host ?? options.hostname ?? 'localhost';
    const port = Number(options.port ?? (this as unknown as { defaultPort: number }).defaultPort);
    const policy = this.#policyFor(options);
    const target = this.#targetFor(options, policy, host, port);
    const { socket } = await connectSecured(this.backend, {
      host,
      port,
      family: options.family === 4 ? 'ipv4' : options.family === 6 ? 'ipv6' : undefined,
      security: policy.security,
      allowInsecure: policy.allowInsecure,
      target: target.value,
      targetName: target.normalized.name,
      signal,
      timeout: this.#connectTimeout,
      tls: this.#tls ? ({ ...options, ...this.#tls } as tls.ConnectionOptions) : undefined,
    });
    return socket;
  }

  #policyFor(options: RequestOptions): ResolvedPolicy {
    const security = options.security;
    if (security === undefined) return this.#policy;
    if (!isObject(security)) return resolvePolicy(security, this.#secret, 'WSASetSocketSecurity');
    let policy = this.#policies.get(security);
    if (!policy) {
      policy = resolvePolicy(security, this.#secret, 'WSASetSocketSecurity');
      this.#policies.set(security, policy);
    }
    return policy;
  }

  #targetFor(options: RequestOptions, policy: ResolvedPolicy, host: string, port: number) {
    const option =
      options.peerTargetName !== undefined
        ? (checkTargetOption(
            options.peerTargetName,
            policy.normalized.protocol,
            'request',
          ) as PeerTargetNameOption)
        : this.#target;
    return resolveTarget(option, host, port, policy.normalized.protocol);
  }

  #reserve(key: string): PendingConnection {
    const pools = this as unknown as AgentPools;
    const pending = new PendingConnection();
    let list = pools.sockets[key];
    if (!list) {
      list = [];
      pools.sockets[key] = list;
    }
    list.push(pending);
    pools.totalSocketCount++;
    return pending;
  }

  #unreserve(key: string, pending: PendingConnection): void {
    const pools = this as unknown as AgentPools;
    const list = pools.sockets[key];
    const index = list ? list.indexOf(pending) : -1;
    if (!list || index === -1) return;
    list.splice(index, 1);
    if (list.length === 0) delete pools.sockets[key];
    pools.totalSocketCount--;
  }

  /** After a failed connect nothing frees a socket, so the next queued request must be started here. */
  #nextQueued(key: string): void {
    const pools = this as unknown as AgentPools;
    let name = key;
    if (!pools.requests[name]?.length) {
      name = Object.keys(pools.requests).find((k) => !pools.sockets[k]?.length) ?? '';
    }
    const queue = pools.requests[name];
    if (!queue?.length) return;
    const count = (pools.sockets[name]?.length ?? 0) + (pools.freeSockets[name]?.length ?? 0);
    if (count >= pools.maxSockets || pools.totalSocketCount >= pools.maxTotalSockets) return;
    const req = queue.shift() as http.ClientRequest;
    if (queue.length === 0) delete pools.requests[name];
    const options = this.#queued.get(req) ?? {};
    this.createSocket(req, options, (error, socket) => {
      if (error || !socket) (req as unknown as OnSocket).onSocket(socket, error ?? undefined);
      else this.#assign(req, socket);
    });
  }

  /** What Node's agent does when it hands a socket to a queued request. */
  #assign(req: http.ClientRequest, socket: Duplex): void {
    (req as unknown as OnSocket).onSocket(socket);
    const agentTimeout = (this as unknown as { options: { timeout?: number } }).options.timeout || 0;
    const requestTimeout = (req as unknown as { timeout?: number }).timeout;
    if (requestTimeout !== undefined && requestTimeout !== agentTimeout) {
      (socket as unknown as { setTimeout(ms: number): void }).setTimeout(requestTimeout);
    }
  }

  #prepare(socket: Duplex, options: RequestOptions): void {
    // An idle pooled socket has no request to report to; its errors must never reach the process.
    socket.on('error', (error: Error) => debug('socket error: %s', (error as { code?: string }).code));
    // A server that closes an idle keep-alive connection ends the stream: take it out of the pool
    // at once rather than hand it to the next request.
    socket.on('end', () => {
      if (!(socket as { _httpMessage?: unknown })._httpMessage) socket.destroy();
    });
    const net = socket as unknown as {
      setNoDelay(v: boolean): void;
      setKeepAlive(v: boolean, d?: number): void;
      setTimeout(ms: number): void;
    };
    if (options.noDelay) net.setNoDelay(true);
    if (options.keepAlive) net.setKeepAlive(true, options.keepAliveInitialDelay);
    if (options.timeout) net.setTimeout(options.timeout);
  }

  #pruneFreeSockets(): void {
    const pools = this as unknown as AgentPools;
    for (const name in pools.freeSockets) {
      const list = pools.freeSockets[name];
      if (!list) continue;
      for (let i = list.length - 1; i >= 0; i--) {
        const socket = list[i] as Duplex;
        if (socket.destroyed || socket.readableEnded || !socket.writable) {
          list.splice(i, 1);
          socket.destroy();
        }
      }
      if (list.length === 0) delete pools.freeSockets[name];
    }
  }
}

function rejectUnsupported(options: RequestOptions, where: string): void {
  if (options.localAddress) {
    throw new SecureSocketError(
      'WSAEOPNOTSUPP',
      `${where}: localAddress is not supported; the backend chooses the local address of a secured socket`,
      { syscall: where },
    );
  }
  if (options.socketPath) {
    throw new SecureSocketError(
      'WSAEOPNOTSUPP',
      `${where}: socketPath is not supported; secured sockets are TCP (IPv4 or IPv6)`,
      { syscall: where },
    );
  }
}
