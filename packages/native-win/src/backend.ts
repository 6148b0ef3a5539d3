/**
 * `createNativeBackend()`: the `SecureSocketBackend` over the real Windows API.
 * @module
 */
import { isIP } from 'node:net';
import type {
  BackendDriver,
  NormalizedAddress,
  PeerToken,
  SecureSocketBackend,
  SocketDriver,
} from '@wsasec/core';
import { defineBackend, normalizeAddress, SecureSocketError } from '@wsasec/core';
import type { TargetNameLengthUnit } from './abi/target-name.js';
import { accessCheck, currentIdentity } from './access/access.js';
import { peerTokenHandle, TokenHandleTracker } from './access/tokens.js';
import { MAX_QUERY_INFO_SIZE, revertImpersonation } from './library/calls.js';
import { createKoffiLibrary } from './library/koffi-library.js';
import type { NativeLibrary } from './library/library.js';
import { NativeDatagramDriver } from './socket/datagram.js';
import { selfTestNodeInternals } from './socket/node-internals.js';
import { NativeServerDriver } from './socket/server.js';
import { NativeStreamDriver } from './socket/socket.js';
import type { NativeContext } from './socket/socket-ops.js';
import { openWfpEngine, type WfpProviderContext } from './wfp/engine.js';
import type { WfpLibrary } from './wfp/library.js';

/** Options of {@link createNativeBackend}. */
export interface NativeBackendOptions {
  /**
   * The Windows functions to call. Default: the real DLLs through koffi (Windows only). Tests inject
   * their own implementation of this small interface.
   */
  library?: NativeLibrary;
  /**
   * What `SOCKET_PEER_TARGET_NAME.PeerTargetNameStringLen` counts (spec §6.1): `'auto'` (default:
   * characters for protocols DEFAULT/IPSEC as Microsoft's samples do, bytes for IPSEC2), `'chars'`
   * or `'bytes'`.
   */
  targetNameLengthUnit?: TargetNameLengthUnit;
  /**
   * Query every connection right after accept (before Node sees it) or connect (before the promise
   * resolves) and close it when it is not secured although its settings do not allow insecure
   * connections, or not encrypted although they guarantee encryption. Default true. (The Windows
   * stack should never let such a connection through; this keeps a mistake from going unnoticed.)
   */
  verifyConnections?: boolean;
  /** Largest `WSAQuerySocketSecurity` result accepted from the size probe (default 4096 bytes). */
  maxQueryInfoSize?: number;
  /**
   * Resolves a host name for `connect` (default `dns.promises.lookup` with `all: true`). Each
   * address tried gets its own secured SOCKET; Node never resolves on its own.
   */
  lookup?: (hostname: string, family: 0 | 4 | 6) => Promise<{ address: string; family: number }[]>;
  /**
   * The WFP functions `addPolicies` calls (default: `fwpuclnt.dll` through koffi, loaded on first
   * use). Tests inject their own.
   */
  wfpLibrary?: WfpLibrary;
}

/** Counters of what a native backend holds, for leak checks in tests. */
export interface NativeBackendStats {
  /** Peer token handles not yet closed. */
  openTokenHandles: number;
  /** Sockets not yet closed. */
  openSockets: number;
}

async function resolveWith(
  lookup: NonNullable<NativeBackendOptions['lookup']>,
  host: string,
  family: 'ipv4' | 'ipv6' | undefined,
): Promise<NormalizedAddress[]> {
  if (isIP(host)) return [normalizeAddress({ address: host }, 'host', 'WSAConnect')];
  const found = await lookup(host, family === 'ipv4' ? 4 : family === 'ipv6' ? 6 : 0);
  if (!Array.isArray(found)) {
    throw new SecureSocketError(
      'ERR_WSASEC_INVALID_ARGUMENT',
      'lookup must resolve to [{ address, family }]',
      {
        syscall: 'connect',
      },
    );
  }
  return found.map((entry) => normalizeAddress({ address: entry?.address }, 'lookup result', 'WSAConnect'));
}

const contexts = new WeakMap<SecureSocketBackend, NativeContext>();

const OPTION_KEYS = [
  'library',
  'targetNameLengthUnit',
  'verifyConnections',
  'maxQueryInfoSize',
  'lookup',
  'wfpLibrary',
];

function checkOptions(opts: unknown): NativeBackendOptions {
  if (opts === undefined) return {};
  const fail = (message: string): never => {
    throw new SecureSocketError('ERR_WSASEC_INVALID_ARGUMENT', `createNativeBackend: ${message}`);
  };
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    fail(`options must be an object { ${OPTION_KEYS.join(', ')} }`);
  }
  const o = opts as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.includes(key))
      fail(`unknown option ${JSON.stringify(key)}; accepted: ${OPTION_KEYS.join(', ')}`);
  }
  if (o.library !== undefined && (typeof o.library !== 'object' || o.library === null)) {
    fail('library must be an object implementing NativeLibrary');
  }
  const unit = o.targetNameLengthUnit;
  if (unit !== undefined && unit !== 'auto' && unit !== 'chars' && unit !== 'bytes') {
    fail(`targetNameLengthUnit must be 'auto', 'chars' or 'bytes', got ${JSON.stringify(unit)}`);
  }
  if (o.verifyConnections !== undefined && typeof o.verifyConnections !== 'boolean') {
    fail('verifyConnections must be a boolean');
  }
  if (o.lookup !== undefined && typeof o.lookup !== 'function') fail('lookup must be a function');
  if (o.wfpLibrary !== undefined && (typeof o.wfpLibrary !== 'object' || o.wfpLibrary === null)) {
    fail('wfpLibrary must be an object implementing WfpLibrary');
  }
  const max = o.maxQueryInfoSize;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 64 || max > 1 << 20)) {
    fail('maxQueryInfoSize must be an integer from 64 to 1048576');
  }
  return o as NativeBackendOptions;
}

/**
 * Creates the backend that calls the real Winsock Secure Socket Extensions (`fwpuclnt.dll`) through
 * koffi, with sockets created by `WSASocketW` and handed to Node's own TCP handle. The DLLs load on
 * first use.
 * @throws SecureSocketError ERR_WSASEC_UNSUPPORTED_PLATFORM off Windows (unless `library` is given)
 *   or when the Node internals it relies on changed; ERR_WSASEC_INVALID_ARGUMENT for bad options.
 */
export function createNativeBackend(opts?: NativeBackendOptions): SecureSocketBackend {
  const options = checkOptions(opts);
  if (!options.library && process.platform !== 'win32') {
    throw new SecureSocketError(
      'ERR_WSASEC_UNSUPPORTED_PLATFORM',
      `@wsasec/native-win needs Windows (fwpuclnt.dll, ws2_32.dll, advapi32.dll); this is ${process.platform}. Use @wsasec/sim here (WSASEC_BACKEND=sim).`,
    );
  }
  selfTestNodeInternals();
  const lib = options.library ?? createKoffiLibrary();
  const ctx: NativeContext = {
    lib,
    unit: options.targetNameLengthUnit ?? 'auto',
    tokens: new TokenHandleTracker(),
    maxQueryInfoSize: options.maxQueryInfoSize ?? MAX_QUERY_INFO_SIZE,
    verifyConnections: options.verifyConnections ?? true,
    live: new Set(),
    wfp: options.wfpLibrary,
  };
  const lookup = options.lookup;
  const driver: BackendDriver = {
    name: 'native-win',
    ...(lookup
      ? { resolve: (host: string, family: 'ipv4' | 'ipv6' | undefined) => resolveWith(lookup, host, family) }
      : {}),
    createSocket({ family, readableHighWaterMark, writableHighWaterMark }): SocketDriver {
      return NativeStreamDriver.client(ctx, family, { readableHighWaterMark, writableHighWaterMark });
    },
    createDatagramSocket({ family }, events) {
      return new NativeDatagramDriver(ctx, family, events);
    },
    createServer(serverOpts, events) {
      return new NativeServerDriver(ctx, serverOpts, events);
    },
    currentIdentity() {
      return currentIdentity(lib);
    },
    revertImpersonation() {
      revertImpersonation(lib);
      // Impersonation of adopted sockets goes through ImpersonateLoggedOnUser; end that too.
      lib.RevertToSelf();
    },
    addPolicies(policies) {
      // One dynamic WFP session per registration: Windows deletes its provider contexts itself if
      // the process dies before remove().
      const engine = openWfpEngine({
        dynamic: true,
        ...(options.wfpLibrary ? { library: options.wfpLibrary } : {}),
      });
      let added: WfpProviderContext[];
      try {
        added = engine.addPolicies(policies);
      } catch (error) {
        engine.close();
        throw error;
      }
      return {
        remove() {
          try {
            for (const context of added) context.close();
          } finally {
            engine.close();
          }
        },
      };
    },
    accessCheck(token: PeerToken, sddl: string, desiredAccess: number) {
      const held = peerTokenHandle(token);
      if (!held || held.lib !== lib) {
        throw new SecureSocketError(
          'ERR_WSASEC_INVALID_ARGUMENT',
          'accessCheck needs a PeerToken returned by this backend (querySecurity({ tokenAccess }))',
          { syscall: 'AccessCheck' },
        );
      }
      return accessCheck(lib, held.handle, sddl, desiredAccess);
    },
    async close() {
      for (const socket of [...ctx.live]) socket.destroy();
    },
  };
  const backend = defineBackend(driver);
  contexts.set(backend, ctx);
  return backend;
}

/**
 * What a backend from {@link createNativeBackend} holds right now (open token handles and sockets).
 * @throws SecureSocketError ERR_WSASEC_INVALID_ARGUMENT for any other backend.
 */
export function nativeBackendStats(backend: SecureSocketBackend): NativeBackendStats {
  const ctx = contexts.get(backend);
  if (!ctx) {
    throw new SecureSocketError(
      'ERR_WSASEC_INVALID_ARGUMENT',
      'nativeBackendStats needs a backend from createNativeBackend()',
    );
  }
  return { openTokenHandles: ctx.tokens.open, openSockets: ctx.live.size };
}

/**
 * The backend `loadBackend()` builds when `WSASEC_BACKEND=native-win`. Reads
 * `WSASEC_NATIVE_TARGET_NAME_UNIT` (`auto` | `chars` | `bytes`).
 * @throws SecureSocketError ERR_WSASEC_UNSUPPORTED_PLATFORM off Windows; ERR_WSASEC_INVALID_ARGUMENT
 *   for an unknown unit.
 */
export function createBackendFromEnv(env: Record<string, string | undefined>): SecureSocketBackend {
  const unit = env.WSASEC_NATIVE_TARGET_NAME_UNIT;
  if (unit !== undefined && unit !== 'auto' && unit !== 'chars' && unit !== 'bytes') {
    throw new SecureSocketError(
      'ERR_WSASEC_INVALID_ARGUMENT',
      `WSASEC_NATIVE_TARGET_NAME_UNIT must be auto, chars or bytes, got ${JSON.stringify(unit)}`,
    );
  }
  return createNativeBackend(unit ? { targetNameLengthUnit: unit } : {});
}
