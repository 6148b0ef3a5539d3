/**
 * The ServerDriver of the sim: accepts TCP connections, tells a negotiating client from a clear one
 * by its first bytes, negotiates as responder (bounded in time and in how many at once), and hands
 * core a socket per connection that answers `querySecurity` / `impersonatePeer` for its own peer.
 * @module
 */
import { createServer, isIP, type Server, type Socket } from 'node:net';
import {
  type NormalizedAddress,
  type NormalizedSecuritySettings,
  normalizeAddress,
  SecureSocketError,
  type ServerDriver,
  type ServerDriverEvents,
  toSecureSocketError,
} from '@wsasec/core';
import {
  attachClear,
  attachSecure,
  isHandshakeError,
  negotiationFailure,
  partyOf,
  type SimContext,
  track,
} from '../context.js';
import { debug, publish } from '../diagnostics.js';
import {
  classifyFirstBytes,
  encodeNotify,
  encodeRecord,
  HandshakeError,
  HELLO_RECORD,
  IKE,
  MessageType,
} from '../negotiation/handshake.js';
import { firstBytes, HandshakeIo } from '../negotiation/handshake-io.js';
import { type Negotiated, Responder } from '../negotiation/negotiation.js';
import { type EffectivePolicy, resolvePolicy } from '../policy/policy.js';
import { policyStore } from '../realm/realm.js';
import { bindNow } from './bind.js';
import { SimSocketDriver } from './driver.js';
import { kPauseOnCreate, SimSocket } from './socket.js';

const noop = () => {};

/** A listening socket of the sim. */
export class SimServerDriver implements ServerDriver {
  readonly #ctx: SimContext;
  readonly #events: ServerDriverEvents;
  readonly #policy: EffectivePolicy;
  readonly #protocol: 0 | 1 | 2;
  readonly #handshaking = new Set<Socket>();
  #server: Server | undefined;
  #closed = false;

  /** @throws SecureSocketError `WSAEINVAL` for a policy key the realm does not hold. */
  /** net.Server's pauseOnConnect: accepted sockets read nothing until resumed (net's pauseOnCreate). */
  readonly #pauseOnConnect: boolean;

  constructor(
    ctx: SimContext,
    security: NormalizedSecuritySettings,
    events: ServerDriverEvents,
    pauseOnConnect = false,
  ) {
    this.#pauseOnConnect = pauseOnConnect;
    this.#ctx = ctx;
    this.#events = events;
    this.#protocol = security.protocol;
    this.#policy = resolvePolicy(security, policyStore(ctx.realm));
  }

  listen(host: string, port: number, backlog: number | undefined): Promise<NormalizedAddress> {
    // Bound now where Node lets the sim (see bind.ts), so address() answers right after listen().
    let handle: ReturnType<typeof bindNow>;
    try {
      handle = bindNow(host, port, isIP(host) === 6 ? 'ipv6' : 'ipv4');
    } catch (error) {
      return Promise.reject(toSecureSocketError(error, 'listen'));
    }
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (tcp) => this.#onConnection(tcp));
    this.#server = server;
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        this.#server = undefined;
        reject(toSecureSocketError(error, 'listen'));
      };
      server.once('error', onError);
      const onListening = () => {
        server.off('error', onError);
        server.on('error', (error) => this.#events.error(toSecureSocketError(error, 'listen')));
        const bound = server.address();
        if (!bound || typeof bound === 'string') {
          reject(
            new SecureSocketError('ERR_WSASEC_INTERNAL', 'listen: the server has no address', {
              syscall: 'listen',
            }),
          );
          return;
        }
        resolve(normalizeAddress({ address: bound.address, port: bound.port }, 'bound address', 'listen'));
      };
      if (!handle)
        server.listen(
          { host, port, ...(backlog !== undefined ? { backlog } : {}), exclusive: true },
          onListening,
        );
      else if (backlog !== undefined) server.listen(handle, backlog, onListening);
      else server.listen(handle, onListening);
    });
  }

  /** net's bind is synchronous: the bound address right after listen(), null until or if it failed. */
  address(): NormalizedAddress | null {
    const bound = this.#server?.address();
    if (!bound || typeof bound === 'string') return null;
    return normalizeAddress({ address: bound.address, port: bound.port }, 'bound address', 'listen');
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const tcp of this.#handshaking) tcp.destroy();
    this.#handshaking.clear();
    const server = this.#server;
    this.#server = undefined;
    // net.Server.close() reports only once every accepted connection has closed; core waits for those.
    server?.close();
  }

  #refuse(tcp: Socket, error: HandshakeError, notify: boolean): void {
    tcp.on('error', noop);
    if (notify && !tcp.destroyed) tcp.end(encodeRecord(MessageType.Notify, encodeNotify(error.ikeCode)));
    tcp.destroy();
    publish('negotiationFailure', () => ({
      role: 'responder',
      negotiationError: error.ikeCode,
      message: error.message,
    }));
    debug('server: connection refused: %s', error.message);
    this.#events.negotiationError(negotiationFailure(error, 'accept'));
  }

  #onConnection(tcp: Socket): void {
    if (this.#closed) {
      tcp.destroy();
      return;
    }
    tcp.on('error', noop);
    if (this.#handshaking.size >= this.#ctx.options.maxConcurrentHandshakes) {
      this.#refuse(
        tcp,
        new HandshakeError(
          IKE.ERROR_IPSEC_IKE_RATELIMIT_DROP,
          `more than ${this.#ctx.options.maxConcurrentHandshakes} negotiations in progress; connection refused`,
        ),
        true,
      );
      return;
    }
    this.#handshaking.add(tcp);
    this.#accept(tcp)
      .catch((error) => this.#events.error(toSecureSocketError(error, 'accept')))
      .finally(() => this.#handshaking.delete(tcp));
  }

  async #accept(tcp: Socket): Promise<void> {
    const ctx = this.#ctx;
    const policy = this.#policy;
    const acceptsClear = !policy.protect || policy.allowInsecure || policy.allowFirstInboundClear;
    let first: Buffer | 'silent' | 'closed';
    if (!acceptsClear) {
      // A server that refuses clear text announces itself at once, so that a client allowed to fall
      // back learns that it speaks the model before sending anything.
      tcp.write(HELLO_RECORD);
      first = await firstBytes(tcp, ctx.options.handshakeTimeout);
    } else if (!policy.protect) {
      first = await firstBytes(tcp, ctx.options.clearFallbackDelay);
    } else {
      // A lenient server lets a clear client speak first (its first bytes must not be preceded by
      // ours), then announces itself to a client that waits for it.
      first = await firstBytes(tcp, ctx.options.announceDelay);
      if (first === 'silent' && !tcp.destroyed && !this.#closed) {
        tcp.write(HELLO_RECORD);
        first = await firstBytes(tcp, ctx.options.clearFallbackDelay);
      }
    }
    if (this.#closed || tcp.destroyed) return;
    if (first === 'closed') {
      tcp.destroy();
      return;
    }
    if (first === 'silent' || classifyFirstBytes(first) === 'clear') {
      if (acceptsClear) {
        publish('fallbackClear', () => ({
          role: 'responder',
          remoteAddress: tcp.remoteAddress,
          remotePort: tcp.remotePort,
        }));
        this.#deliver(tcp, undefined, first === 'silent' ? Buffer.alloc(0) : first);
        return;
      }
      const error =
        first === 'silent'
          ? new HandshakeError(
              IKE.ERROR_IPSEC_IKE_TIMED_OUT,
              `the client sent nothing within ${ctx.options.handshakeTimeout} ms`,
            )
          : new HandshakeError(
              IKE.ERROR_IPSEC_IKE_INVALID_HEADER,
              'the client sent clear traffic where the policy requires protection; nothing of it was delivered',
            );
      this.#refuse(tcp, error, false);
      return;
    }
    await this.#negotiate(tcp, first, policy);
  }

  async #negotiate(tcp: Socket, first: Buffer, policy: EffectivePolicy): Promise<void> {
    const ctx = this.#ctx;
    publish('negotiationStart', () => ({
      role: 'responder',
      remoteAddress: tcp.remoteAddress,
      remotePort: tcp.remotePort,
    }));
    const io = new HandshakeIo(tcp, ctx.options.handshakeTimeout, first);
    const responder = new Responder(partyOf(ctx, policy));
    try {
      io.send(responder.respond(await io.next()));
      const { done, negotiated } = responder.accept(await io.next());
      io.send(done);
      const leftover = io.detach();
      if (this.#closed || tcp.destroyed) {
        tcp.destroy();
        return;
      }
      this.#deliver(tcp, { negotiated, policy }, leftover);
      publish('negotiationSuccess', () => ({
        role: 'responder',
        transform: negotiated.transform,
        mmSaId: negotiated.mmSaId,
        peerMachine: negotiated.peerMachine.sid,
        peerUser: negotiated.peerUser?.sid,
      }));
    } catch (error) {
      io.detach();
      if (!isHandshakeError(error)) throw error;
      this.#refuse(tcp, error, !error.fromPeer);
    }
  }

  #deliver(
    tcp: Socket,
    secured: { negotiated: Negotiated; policy: EffectivePolicy } | undefined,
    leftover: Buffer,
  ): void {
    const socket = track(this.#ctx, new SimSocket());
    if (this.#pauseOnConnect) socket[kPauseOnCreate]();
    if (secured)
      attachSecure(this.#ctx, socket, tcp, secured.negotiated, secured.policy, this.#protocol, leftover);
    else attachClear(socket, tcp, 0, leftover);
    tcp.off('error', noop);
    // Accepted: no longer a negotiation that close() cancels (a connection listener may close the
    // server at once, as net's may, and the connection it was given stays open).
    this.#handshaking.delete(tcp);
    this.#events.connection(new SimSocketDriver(this.#ctx, socket));
  }
}
