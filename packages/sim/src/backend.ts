/**
 * `createSimBackend`: one simulated machine of a realm (and, optionally, the user logged on to it)
 * as a wsasec backend, built with core's `defineBackend` so that every input is validated and every
 * call-order rule enforced exactly as for the native backend.
 * @module
 */
import {
  type AccessCheckResult,
  type BackendDriver,
  defineBackend,
  type PeerToken,
  type SecureSocketBackend,
  SecureSocketError,
} from '@wsasec/core';
import { IdentityScope } from './access/identity.js';
import { evaluateAccess, parseSddl } from './access/sddl.js';
import { type SimContext, type SimOptions, track } from './context.js';
import { DEFAULT_REKEY_GRACE, SimDatagramDriver, type SimDatagramOptions } from './datagram/driver.js';
import { DEFAULT_REPLAY_WINDOW, MAX_REPLAY_WINDOW } from './datagram/replay.js';
import { sharedOpener } from './protection/crypto-worker.js';
import { invalid, show } from './realm/principals.js';
import { findAccount, principalOf, realmState, SimRealm } from './realm/realm.js';
import { SimSocketDriver } from './socket/driver.js';
import { SimServerDriver } from './socket/server.js';
import { SimSocket } from './socket/socket.js';

/** Options of {@link createSimBackend}. */
export interface SimBackendOptions {
  /** The realm (domain) this machine belongs to. */
  realm: SimRealm;
  /** The machine this backend is: its FQDN (`server.contoso.com`), NetBIOS name or `NAME$`. */
  machine: string;
  /**
   * The user logged on to the machine (`alice`, `CONTOSO\alice`). Without it the backend acts as the
   * machine itself (as a service running as LocalSystem does on the network).
   */
  user?: string;
  /** Bound on a whole negotiation, in ms (default 10 000). */
  handshakeTimeout?: number;
  /** Largest frame payload accepted and sent, in bytes (default 262 144; 1 024 – 16 777 215). */
  maxFrameSize?: number;
  /** Negotiations a server runs at once; more are refused with `ERROR_IPSEC_IKE_RATELIMIT_DROP` (default 256). */
  maxConcurrentHandshakes?: number;
  /**
   * A connection that carried no application data either way (no complete frame, no clear bytes)
   * for this many ms is closed with `WSAETIMEDOUT`, as an idle IPsec SA is deleted (default 300 000;
   * 0 disables; at most 86 400 000). A peer trickling a frame byte by byte is idle too.
   */
  idleTimeout?: number;
  /**
   * How long a server that accepts clear connections (allowInsecure,
   * allowFirstInboundPacketUnencrypted) waits for a silent client's first bytes before treating it
   * as clear, in ms (default 1 000).
   */
  clearFallbackDelay?: number;
  /**
   * How long a server that accepts clear connections waits for a client to speak first before it
   * announces that it speaks the model (HELLO), in ms (default 100). A silent clear client receives
   * that announcement in its stream: keep it below `clearFallbackDelay`.
   */
  announceDelay?: number;
  /** Decrypt large frames on a worker thread, using a second core (default true). */
  cryptoWorker?: boolean;
  /** Clock in ms since the epoch (default `Date.now`); drives SA lifetimes and certificate validity. */
  clock?: () => number;
  /** Anti-replay window of datagram sockets' inbound SAs, in sequence numbers (default 64; 1 – 4 096). */
  replayWindow?: number;
  /**
   * Datagram sockets: how long an inbound SA replaced by a rekey still accepts datagrams, in ms, so
   * that datagrams in flight across the rekey are delivered (default 30 000; 0 – 3 600 000; 0 refuses
   * the old SA as soon as the new one authenticated a datagram).
   */
  rekeyGrace?: number;
}

/** Default bound of a negotiation (ms). */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;
/** Default largest frame payload (bytes). */
export const DEFAULT_MAX_FRAME_SIZE = 256 * 1024;
/** Default number of negotiations a server runs at once. */
export const DEFAULT_MAX_CONCURRENT_HANDSHAKES = 256;
/** Default idle time after which a connection is closed (ms): the idle time of an IPsec SA. */
export const DEFAULT_IDLE_TIMEOUT = 300_000;
/** Default wait for a silent client's first bytes on a server that accepts clear connections (ms). */
export const DEFAULT_CLEAR_FALLBACK_DELAY = 1_000;
/** Default wait of a lenient server for a client's first bytes before announcing itself (ms). */
export const DEFAULT_ANNOUNCE_DELAY = 100;

function integer(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    invalid(`createSimBackend: ${name} must be an integer from ${min} to ${max}, got ${show(value)}`);
  return value;
}

function resolveOptions(opts: SimBackendOptions): SimOptions {
  if (opts.cryptoWorker !== undefined && typeof opts.cryptoWorker !== 'boolean')
    invalid(`createSimBackend: cryptoWorker must be true or false, got ${show(opts.cryptoWorker)}`);
  if (opts.clock !== undefined && typeof opts.clock !== 'function')
    invalid(`createSimBackend: clock must be a function returning milliseconds, got ${show(opts.clock)}`);
  const clock = opts.clock ?? Date.now;
  return {
    handshakeTimeout: integer(
      opts.handshakeTimeout,
      'handshakeTimeout',
      1,
      600_000,
      DEFAULT_HANDSHAKE_TIMEOUT,
    ),
    maxFrameSize: integer(opts.maxFrameSize, 'maxFrameSize', 1024, 0xff_ffff, DEFAULT_MAX_FRAME_SIZE),
    maxConcurrentHandshakes: integer(
      opts.maxConcurrentHandshakes,
      'maxConcurrentHandshakes',
      1,
      1_000_000,
      DEFAULT_MAX_CONCURRENT_HANDSHAKES,
    ),
    idleTimeout: integer(opts.idleTimeout, 'idleTimeout', 0, 86_400_000, DEFAULT_IDLE_TIMEOUT),
    clearFallbackDelay: integer(
      opts.clearFallbackDelay,
      'clearFallbackDelay',
      1,
      600_000,
      DEFAULT_CLEAR_FALLBACK_DELAY,
    ),
    announceDelay: integer(opts.announceDelay, 'announceDelay', 1, 600_000, DEFAULT_ANNOUNCE_DELAY),
    cryptoWorker: opts.cryptoWorker ?? true,
    now: () => {
      const t = clock();
      return typeof t === 'number' && Number.isFinite(t) ? t : Date.now();
    },
  };
}

const OPTION_KEYS = [
  'realm',
  'machine',
  'user',
  'handshakeTimeout',
  'maxFrameSize',
  'maxConcurrentHandshakes',
  'idleTimeout',
  'clearFallbackDelay',
  'announceDelay',
  'cryptoWorker',
  'clock',
  'replayWindow',
  'rekeyGrace',
];

/**
 * Creates the backend of one machine of `realm` (and of its logged-on `user`, if given):
 * `createSocket`, `connect`, `createServer` … as in `@wsasec/core`, over loopback or any TCP path,
 * with real authentication, keys and protected frames.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (not a realm, unknown machine or user, bad option).
 */
export function createSimBackend(opts: SimBackendOptions): SecureSocketBackend {
  if (typeof opts !== 'object' || opts === null)
    invalid(`createSimBackend needs { realm, machine, user?, … }, got ${show(opts)}`);
  for (const key of Object.keys(opts)) {
    if (!OPTION_KEYS.includes(key))
      invalid(`createSimBackend has an unknown option "${key}"; accepted: ${OPTION_KEYS.join(', ')}`);
  }
  if (!(opts.realm instanceof SimRealm))
    invalid('createSimBackend: realm must be a SimRealm (createSimRealm() or SimRealm.load())');
  const realm = realmState(opts.realm);
  const machine = typeof opts.machine === 'string' ? findAccount(realm, opts.machine) : undefined;
  if (machine?.kind !== 'machine') {
    const known = [...realm.accounts.values()].filter((a) => a.kind === 'machine').map((a) => a.fqdn);
    invalid(
      `createSimBackend: ${show(opts.machine)} is not a machine of ${realm.domain}; known machines: ${known.slice(0, 8).join(', ') || 'none (add one with realm.addMachine())'}`,
    );
  }
  let user: ReturnType<typeof findAccount>;
  if (opts.user !== undefined) {
    user = typeof opts.user === 'string' ? findAccount(realm, opts.user) : undefined;
    if (user?.kind !== 'user')
      invalid(
        `createSimBackend: ${show(opts.user)} is not a user of ${realm.domain}; add it with realm.addUser()`,
      );
  }
  const options = resolveOptions(opts);
  const ctx: SimContext = {
    realm,
    machine,
    user,
    identity: new IdentityScope(principalOf(realm, user ?? machine)),
    options,
    opener: options.cryptoWorker ? sharedOpener() : undefined,
    sockets: new Set(),
  };
  const replayWindow = integer(
    opts.replayWindow,
    'replayWindow',
    1,
    MAX_REPLAY_WINDOW,
    DEFAULT_REPLAY_WINDOW,
  );
  const rekeyGrace = integer(opts.rekeyGrace, 'rekeyGrace', 0, 3_600_000, DEFAULT_REKEY_GRACE);
  return defineBackend(createDriver(ctx, { replayWindow, rekeyGrace }, opts.realm));
}

function createDriver(ctx: SimContext, datagram: SimDatagramOptions, realm: SimRealm): BackendDriver {
  return {
    name: 'sim',
    createDatagramSocket({ family }, events) {
      return new SimDatagramDriver(ctx, family, events, datagram);
    },
    // Core sends datagram sockets to createDatagramSocket; this one only makes stream sockets.
    createSocket({ readableHighWaterMark, writableHighWaterMark }) {
      return new SimSocketDriver(
        ctx,
        track(ctx, new SimSocket({ readableHighWaterMark, writableHighWaterMark })),
      );
    },
    createServer({ security, pauseOnConnect }, events) {
      return new SimServerDriver(ctx, security, events, pauseOnConnect === true);
    },
    currentIdentity() {
      return { ...ctx.identity.current() };
    },
    revertImpersonation() {
      ctx.identity.revert();
    },
    addPolicies(policies) {
      // All or none: a refused description undoes the ones added before it.
      const added: string[] = [];
      try {
        for (const policy of policies) added.push(realm.addPolicy(policy).key);
      } catch (error) {
        for (const key of added) realm.removePolicy(key);
        throw error;
      }
      return {
        remove() {
          for (const key of added) realm.removePolicy(key);
        },
      };
    },
    accessCheck(token: PeerToken, sddl: string, desiredAccess: number): AccessCheckResult {
      try {
        const sd = parseSddl(sddl, { domainSid: ctx.realm.domainSid });
        const result = evaluateAccess(sd, [token.user.sid, ...token.groups.map((g) => g.sid)], desiredAccess);
        return { granted: result.granted, grantedAccess: result.grantedAccess };
      } catch (error) {
        if (SecureSocketError.isInstance(error)) throw error;
        throw new SecureSocketError(
          'WSAEINVAL',
          `the SDDL security descriptor could not be evaluated: ${(error as Error).message}`,
          {
            syscall: 'AccessCheck',
            cause: error,
          },
        );
      }
    },
    async close() {
      for (const socket of [...ctx.sockets]) socket.destroy();
    },
  };
}
