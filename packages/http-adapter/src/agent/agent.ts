import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type * as tls from 'node:tls';
import { type PeerTargetName, type SecureSocketBackend, SecureSocketError } from '@wsasec/core';
import { openSecured } from '../connect/connect.js';
import {
  checkTargetOption,
  invalidArgument,
  isObject,
  type PeerTargetNameOption,
  parseClientOptions,
  type ResolvedPolicy,
  resolvePolicy,
  resolveTarget,
  type SecureClientOptions,
  targetKey,
} from '../connect/options.js';

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

/**
 * An `http.Agent` whose connections are secured by a wsasec backend: each new socket is created,
 * secured (`WSASetSocketSecurity`), given the peer target name (`WSASetSocketPeerTargetName`) and
 * connected (`WSAConnect`), and handed to the request at once, as Node's agent hands out a connecting
 * `net.Socket`; nothing the request writes leaves before the negotiation succeeded. Works as `agent` for `http.request`/`http.get`,
 * axios (`httpAgent`) and got (`agent.http`); with `tls` it serves `https:` (TLS over IPsec).
 *
 * Never falls back to an unsecured socket: a failed negotiation fails the request, unless the
 * settings say `allowInsecure`. The pool key covers every security-relevant field, so differently
 * secured sockets are never reused for each other.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (no backend, wrong option types),
 *   `WSAEINVAL`/`WSAEMSGSIZE` (bad settings or target name), `WSAEOPNOTSUPP` (`socketPath`).
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

  constructor(options: SecureAgentOptions) {
    const where = 'SecureAgent';
    if (!isObject(options)) {
      throw invalidArgument(
        'new SecureAgent(options) needs { backend, security?, peerTargetName?, … }',
        where,
      );
    }
    const { backend, security, peerTargetName, tls: tlsOption, connectTimeout, ...agentOptions } = options;
    const secret = randomBytes(32);
    const {
      backend: checkedBackend,
      policy,
      target,
      connectTimeout: timeout,
    } = parseClientOptions({ backend, security, peerTargetName, connectTimeout }, secret, where);
    if (tlsOption !== undefined && typeof tlsOption !== 'boolean' && !isObject(tlsOption)) {
      throw invalidArgument('SecureAgent: tls must be true, false or tls.connect options', where);
    }
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
   * The pool key, as `http.Agent.getName` (`host:port:localAddress:family`, plus the TLS fields with
   * `tls`): every socket of the agent has its settings and target name, so Node's key alone keeps
   * them apart. A request with its own `security` or `peerTargetName`, or an agent whose target name
   * is a function, gets `|wsasec|` and the policy key (protocol, security and IPsec flags, policy
   * keys, credential identity — the password only as a keyed digest) and the target name appended,
   * so differently secured sockets are never reused for each other.
   * @throws SecureSocketError for bad per-request settings or a bad target name.
   */
  override getName(options: http.ClientRequestArgs = {}): string {
    const name = this.#tls
      ? https.Agent.prototype.getName.call(this, { ...options, ...this.#tls } as https.RequestOptions)
      : super.getName(options);
    const opts = options as RequestOptions;
    if (
      opts.security === undefined &&
      opts.peerTargetName === undefined &&
      typeof this.#target !== 'function'
    )
      return name;
    const policy = this.#policyFor(opts);
    const host = opts.host || 'localhost';
    const port = Number(opts.port || (this as unknown as { defaultPort: number }).defaultPort);
    return `${name}|wsasec|${policy.key}|${targetKey(this.#targetFor(opts, policy, host, port).normalized)}`;
  }

  /**
   * As `http.Agent.createConnection`: creates the secured socket and returns it at once, connecting
   * (`socket.connecting` is true; writes wait until the negotiation succeeded),
   * the way `net.createConnection` does; with `tls`, the TLS socket over it. The outcome is reported
   * as net reports it (`'connect'`, or `'error'` then `'close'`); `options.signal`, `destroy()` and
   * `connectTimeout` cancel the negotiation. `callback(error)` receives only the errors of bad
   * settings, on a later tick; without a callback they are thrown.
   * @throws SecureSocketError without a callback: `WSAEINVAL`/`WSAEMSGSIZE` (bad settings or target
   *   name), `WSAEOPNOTSUPP` (`socketPath`), `ERR_INVALID_ARG_TYPE` / `ERR_SOCKET_BAD_PORT` (a
   *   bad port, as net), `ERR_INVALID_IP_ADDRESS` (a `localAddress` that is not an IP, as net).
   */
  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): Duplex | undefined {
    try {
      return this.#open(options as RequestOptions);
    } catch (error) {
      if (typeof callback !== 'function') throw error;
      process.nextTick(callback, error as Error, undefined as never);
      return undefined;
    }
  }

  #open(options: RequestOptions): Duplex {
    rejectUnsupported(options, 'connect');
    const host = options.host ?? options.hostname ?? 'localhost';
    const port = Number(options.port ?? (this as unknown as { defaultPort: number }).defaultPort);
    const policy = this.#policyFor(options);
    const target = this.#targetFor(options, policy, host, port);
    const timeout = typeof options.timeout === 'number' && options.timeout > 0 ? options.timeout : undefined;
    let tlsOptions: tls.ConnectionOptions | undefined;
    if (this.#tls) {
      const { signal: _signal, ...rest } = options;
      tlsOptions = { ...rest, ...this.#tls } as tls.ConnectionOptions;
    }
    const { socket } = openSecured(this.backend, {
      host,
      port,
      family:
        options.family === 4 ? 'ipv4' : options.family === 6 ? 'ipv6' : localFamily(options.localAddress),
      security: policy.security,
      allowInsecure: policy.allowInsecure,
      target: target.value,
      targetName: target.normalized.name,
      signal: options.signal ?? undefined,
      timeout: this.#connectTimeout,
      tls: tlsOptions,
      // With TLS, tls.connect sets the idle timeout on the TLS socket (as https.Agent does).
      idleTimeout: tlsOptions ? undefined : timeout,
      noDelay: options.noDelay,
      keepAlive: options.keepAlive,
      keepAliveInitialDelay: options.keepAliveInitialDelay,
      ...(options.lookup !== undefined && options.lookup !== null ? { lookup: options.lookup } : {}),
      // As http.Agent: handed to the connect, which checks them as net does.
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ...(options.localPort ? { localPort: options.localPort } : {}),
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
}

/** The family a local address fixes (none for anything that is not an IP literal: connect refuses it). */
function localFamily(localAddress: unknown): 'ipv4' | 'ipv6' | undefined {
  if (typeof localAddress !== 'string') return undefined;
  const version = isIP(localAddress);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
}

function rejectUnsupported(options: RequestOptions, where: string): void {
  if (options.socketPath) {
    throw new SecureSocketError(
      'WSAEOPNOTSUPP',
      `${where}: socketPath is not supported; secured sockets are TCP (IPv4 or IPv6)`,
      { syscall: where },
    );
  }
}
