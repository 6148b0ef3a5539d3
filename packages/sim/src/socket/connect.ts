/**
 * The client side of a connection: TCP connect, negotiation as initiator, the target-name check,
 * and the clear-text fallback that `allowInsecure` permits (on a fresh TCP connection, so the peer
 * never sees negotiation bytes in its clear stream).
 * @module
 */
import { connect as netConnect, type Socket } from 'node:net';
import {
  type NormalizedAddress,
  type NormalizedConnectTarget,
  type NormalizedPeerTargetName,
  SecureSocketError,
  toSecureSocketError,
} from '@wsasec/core';
import {
  attachClear,
  attachSecure,
  isHandshakeError,
  machineNames,
  negotiationFailure,
  partyOf,
  type SimContext,
} from '../context.js';
import { debug, publish } from '../diagnostics.js';
import { classifyFirstBytes, HandshakeError, IKE } from '../negotiation/handshake.js';
import { firstBytes, HandshakeIo } from '../negotiation/handshake-io.js';
import { Initiator } from '../negotiation/negotiation.js';
import type { EffectivePolicy } from '../policy/policy.js';
import { isSpn, machineHoldsName } from '../realm/target-names.js';
import { kTcpStarted } from './net-surface.js';
import { kConnecting, type SimSocket } from './socket.js';

/** What a client connect needs to know about its socket. */
export interface ClientConnect {
  ctx: SimContext;
  socket: SimSocket;
  /** Undefined when `setSecurity` was never called: a plain socket. */
  policy: EffectivePolicy | undefined;
  protocol: 0 | 1 | 2;
  target: NormalizedPeerTargetName | undefined;
  address: NormalizedAddress;
  connectTarget: NormalizedConnectTarget;
  signal: AbortSignal | undefined;
}

const noop = () => {};

/** Guards one connect attempt: the caller's overall timeout and abort signal. */
class Attempt {
  #failure: SecureSocketError | undefined;
  #sockets = new Set<Socket>();
  #timer: NodeJS.Timeout | undefined;
  #onAbort = () =>
    this.fail(
      new SecureSocketError('ERR_WSASEC_ABORTED', 'WSAConnect was aborted', { syscall: 'WSAConnect' }),
    );
  readonly #signal: AbortSignal | undefined;
  #listeners = new Set<(failure: SecureSocketError) => void>();

  constructor(timeout: number | undefined, signal: AbortSignal | undefined) {
    this.#signal = signal;
    if (signal?.aborted) this.#onAbort();
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (timeout !== undefined) {
      this.#timer = setTimeout(
        () =>
          this.fail(
            new SecureSocketError('WSAETIMEDOUT', `WSAConnect did not complete within ${timeout} ms`, {
              syscall: 'WSAConnect',
            }),
          ),
        timeout,
      );
    }
  }

  get failure(): SecureSocketError | undefined {
    return this.#failure;
  }

  fail(failure: SecureSocketError): void {
    if (this.#failure) return;
    this.#failure = failure;
    for (const s of this.#sockets) s.destroy();
    for (const l of this.#listeners) l(failure);
  }

  onFail(listener: (failure: SecureSocketError) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  own(tcp: Socket): Socket {
    this.#sockets.add(tcp);
    tcp.once('close', () => this.#sockets.delete(tcp));
    return tcp;
  }

  /** Rejects as soon as the attempt fails. */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.#failure) {
      // The attempt is over; whatever `promise` still settles to is of no interest.
      promise.catch(noop);
      return Promise.reject(this.#failure);
    }
    return new Promise<T>((resolve, reject) => {
      const off = this.onFail(reject);
      promise.then(
        (v) => {
          off();
          resolve(v);
        },
        (e) => {
          off();
          reject(this.#failure ?? e);
        },
      );
    });
  }

  release(tcp?: Socket): void {
    if (tcp) this.#sockets.delete(tcp);
    if (this.#timer) clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

function tcpConnect(
  attempt: Attempt,
  socket: SimSocket,
  address: NormalizedAddress,
  target: NormalizedConnectTarget,
): Promise<Socket> {
  if (attempt.failure) return Promise.reject(attempt.failure);
  return attempt.race(
    new Promise<Socket>((resolve, reject) => {
      const tcp = attempt.own(
        netConnect({
          host: address.address,
          port: target.port,
          family: address.family === 'ipv4' ? 4 : 6,
          ...(target.localAddress !== undefined ? { localAddress: target.localAddress } : {}),
          ...(target.localPort !== undefined ? { localPort: target.localPort } : {}),
          allowHalfOpen: true,
          noDelay: true,
        }),
      );
      socket[kTcpStarted](tcp);
      const onError = (error: Error) => reject(toSecureSocketError(error, 'WSAConnect'));
      tcp.once('error', onError);
      tcp.once('connect', () => {
        tcp.off('error', onError);
        resolve(tcp);
      });
    }),
  );
}

async function negotiate(c: ClientConnect, attempt: Attempt, policy: EffectivePolicy): Promise<void> {
  const { ctx, socket } = c;
  const initiator = new Initiator(partyOf(ctx, policy));
  const init = initiator.init();
  const tcp = await tcpConnect(attempt, c.socket, c.address, c.connectTarget);
  publish('negotiationStart', () => ({
    role: 'initiator',
    socketId: socket.id,
    remoteAddress: c.address.address,
    remotePort: c.connectTarget.port,
  }));
  let initial: Buffer | undefined;
  if (policy.allowInsecure && !policy.guaranteeEncryption) {
    // Allowed to fall back: send nothing until the peer announces that it speaks the model, so a
    // peer without security never sees a negotiation byte in its clear stream.
    const first = await attempt.race(firstBytes(tcp, ctx.options.clearFallbackDelay));
    if (first === 'closed') {
      tcp.on('error', noop);
      tcp.destroy();
      throw new HandshakeError(
        IKE.ERROR_IPSEC_IKE_TIMED_OUT,
        'the peer closed the connection without announcing IPsec',
      );
    }
    if (first === 'silent' || classifyFirstBytes(first) === 'clear') {
      attempt.release(tcp);
      attachClear(socket, tcp, IKE.ERROR_IPSEC_IKE_TIMED_OUT, first === 'silent' ? Buffer.alloc(0) : first);
      publish('fallbackClear', () => ({
        role: 'initiator',
        socketId: socket.id,
        negotiationError: IKE.ERROR_IPSEC_IKE_TIMED_OUT,
      }));
      debug('socket %d: the peer does not speak the model; clear text (allowInsecure)', socket.id);
      return;
    }
    initial = first;
  }
  const io = new HandshakeIo(tcp, ctx.options.handshakeTimeout, initial);
  const offFail = attempt.onFail(() =>
    io.fail(new HandshakeError(IKE.ERROR_IPSEC_IKE_ERROR, 'connect attempt ended')),
  );
  try {
    io.send(init);
    const peer = initiator.verifyResp(await io.next());
    if (c.target && !machineHoldsName(machineNames(ctx.realm, peer), c.target.name, policy.rawPeerName)) {
      if (!policy.optionalPeerName) {
        io.notify(IKE.ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE);
        throw new SecureSocketError(
          'ERR_WSASEC_PEER_NAME_MISMATCH',
          `the peer authenticated as ${ctx.realm.domain}\\${peer.name}, which does not hold the target name ${JSON.stringify(c.target.name)}`,
          { syscall: 'WSAConnect', negotiationError: IKE.ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE },
        );
      }
      debug(
        'socket %d: peer %s does not hold %s (optional peer name verification)',
        socket.id,
        peer.name,
        c.target.name,
      );
    }
    io.send(await initiator.auth());
    const negotiated = initiator.done(await io.next());
    const leftover = io.detach();
    offFail();
    attempt.release(tcp);
    if (attempt.failure) throw attempt.failure;
    attachSecure(ctx, socket, tcp, negotiated, policy, c.protocol, leftover);
    publish('negotiationSuccess', () => ({
      role: 'initiator',
      socketId: socket.id,
      transform: negotiated.transform,
      mmSaId: negotiated.mmSaId,
      peerMachine: negotiated.peerMachine.sid,
    }));
  } catch (error) {
    offFail();
    if (isHandshakeError(error) && !error.fromPeer && !attempt.failure) io.notify(error.ikeCode);
    io.detach();
    tcp.on('error', noop);
    tcp.destroy();
    throw error;
  }
}

/**
 * Connects `c.socket`: negotiates as initiator when a policy covers the socket, else connects in
 * clear. Resolves once the socket is attached.
 * @throws SecureSocketError `ERR_WSASEC_NEGOTIATION_FAILED` (with `negotiationError`),
 *   `ERR_WSASEC_PEER_NAME_MISMATCH`, `WSAEINVAL` (target name not an SPN), `WSAECONNREFUSED`,
 *   `WSAETIMEDOUT`, `ERR_WSASEC_ABORTED`.
 */
export async function connectClient(c: ClientConnect): Promise<void> {
  const { socket, policy } = c;
  if (c.target && policy && !policy.rawPeerName && !isSpn(c.target.name)) {
    throw new SecureSocketError(
      'WSAEINVAL',
      `the peer target name ${JSON.stringify(c.target.name)} is not an SPN; give one like host/server.contoso.com, or set ipsec.peerNameIsRawFormat`,
      { syscall: 'WSAConnect' },
    );
  }
  const attempt = new Attempt(c.connectTarget.timeout, c.signal);
  socket[kConnecting](true);
  try {
    if (!policy?.protect) {
      const tcp = await tcpConnect(attempt, c.socket, c.address, c.connectTarget);
      attempt.release(tcp);
      attachClear(socket, tcp, 0, Buffer.alloc(0));
      return;
    }
    try {
      await negotiate(c, attempt, policy);
      return;
    } catch (error) {
      if (attempt.failure) throw attempt.failure;
      if (!isHandshakeError(error)) throw toSecureSocketError(error, 'WSAConnect');
      const failure = negotiationFailure(error, 'WSAConnect');
      publish('negotiationFailure', () => ({
        role: 'initiator',
        socketId: socket.id,
        negotiationError: error.ikeCode,
        message: error.message,
      }));
      debug('socket %d: negotiation failed: %s', socket.id, failure.message);
      // Guaranteed encryption never falls back, whatever allowInsecure says.
      if (!policy.allowInsecure || policy.guaranteeEncryption) throw failure;
      publish('fallbackClear', () => ({
        role: 'initiator',
        socketId: socket.id,
        negotiationError: error.ikeCode,
      }));
      const tcp = await tcpConnect(attempt, c.socket, c.address, c.connectTarget);
      attempt.release(tcp);
      attachClear(socket, tcp, error.ikeCode, Buffer.alloc(0));
    }
  } finally {
    attempt.release();
    socket[kConnecting](false);
  }
}
