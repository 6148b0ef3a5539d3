import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  closeServer,
  isDocumentedErrorCode,
  type SecureSocket,
  SecureSocketError,
  TOKEN_QUERY,
} from '@wsasec/core';
import * as sim from '@wsasec/sim';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EchoServer, readBytes, startEchoServer } from '../src/harness/echo.js';
import {
  exportedFunctions,
  methodNames,
  socketMethodNames,
  staticNames,
} from '../src/harness/entry-points.js';
import { adversarialRealm, SUITE_TIMINGS } from '../src/harness/realm.js';

const RUNS = 120;
const junk = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withTypedArray: true,
  withSparseArray: true,
});
// Host strings that never reach DNS or the network.
const host = fc.constantFrom('127.0.0.1', '::1', '', '999.1.1.1', 'not a host!', '0.0.0.0', '127.0.0.1:80');
const port = fc.oneof(fc.constant(1), fc.integer({ min: -5, max: 70_000 }), junk);
const value = fc.oneof(junk, fc.string({ maxLength: 40 }), fc.integer(), fc.constant(undefined));
const args = (n: number) => fc.array(value, { maxLength: n });
const settings = fc.oneof(
  junk,
  fc.record(
    {
      protocol: fc.oneof(fc.constantFrom('default', 'ipsec', 'ipsec2', 0, 1, 2, 3), junk),
      guaranteeEncryption: value,
      allowInsecure: value,
      ipsec: fc.oneof(
        junk,
        fc.record(
          {
            optionalPeerNameVerification: value,
            mainModePolicyKey: fc.oneof(fc.uuid(), value),
            quickModePolicyKey: fc.oneof(fc.uuid(), value),
            credentials: fc.oneof(junk, fc.record({ user: value, password: value })),
          },
          { requiredKeys: [] },
        ),
      ),
      bogus: value,
    },
    { requiredKeys: [] },
  ),
);
const connectOpts = fc.oneof(
  junk,
  fc.record(
    { host, port, security: settings, peerTargetName: value, timeout: value, signal: value, family: value },
    { requiredKeys: [] },
  ),
);

/** Throws unless `error` is documented; returns the code. */
function documented(error: unknown, what: string): string {
  if (!SecureSocketError.isInstance(error) || !isDocumentedErrorCode(error.code) || !error.message)
    throw new Error(`${what} threw ${String((error as Error)?.stack ?? error)}`);
  return error.code;
}

/** Calls `fn`; it may return, or throw/reject with a documented SecureSocketError. */
async function works(
  what: string,
  fn: () => unknown,
): Promise<{ ok: boolean; value?: unknown; code?: string }> {
  try {
    const v = fn();
    if (v && typeof (v as Promise<unknown>).then === 'function') {
      return { ok: true, value: await (v as Promise<unknown>) };
    }
    return { ok: true, value: v };
  } catch (error) {
    return { ok: false, code: documented(error, what) };
  }
}

async function property<T>(arb: fc.Arbitrary<T>, check: (v: T) => Promise<void>, numRuns = RUNS) {
  await fc.assert(fc.asyncProperty(arb, check), { numRuns });
}

const realm = adversarialRealm();
const backend = sim.createSimBackend({ realm, machine: 'server.contoso.com', ...SUITE_TIMINGS });
const client = sim.createSimBackend({ realm, machine: 'client.contoso.com', ...SUITE_TIMINGS });
let echo: EchoServer;

async function connectSecured(): Promise<SecureSocket> {
  const socket = await client.connect({
    host: '127.0.0.1',
    port: echo.port,
    security: { guaranteeEncryption: true },
    peerTargetName: 'host/server.contoso.com',
  });
  socket.on('error', () => {});
  return socket;
}

beforeAll(async () => {
  echo = await startEchoServer(backend, { guaranteeEncryption: true });
});

afterAll(async () => {
  await echo.close();
  await Promise.all([backend.close(), client.close()]);
  expect(sim.openTokenCount()).toBe(0);
});

// --- harnesses ------------------------------------------------------------------------------------

type Harness = () => Promise<void>;

const moduleHarnesses: Record<string, Harness> = {
  createSimBackend: () =>
    property(
      fc.oneof(
        junk,
        fc.record(
          {
            realm: fc.oneof(fc.constant(realm), junk),
            machine: fc.oneof(fc.constantFrom('server.contoso.com', 'SERVER$', 'nobody'), value),
            user: fc.oneof(fc.constantFrom('alice', 'nobody'), value),
            handshakeTimeout: value,
            maxFrameSize: value,
            maxConcurrentHandshakes: value,
            idleTimeout: value,
            replayWindow: value,
            clearFallbackDelay: value,
            announceDelay: value,
            cryptoWorker: value,
            clock: value,
          },
          { requiredKeys: [] },
        ),
      ),
      async (opts) => {
        const r = await works('createSimBackend', () => sim.createSimBackend(opts as sim.SimBackendOptions));
        if (r.ok) await (r.value as { close(): Promise<void> }).close();
      },
    ),
  createSimRealm: () =>
    property(
      fc.oneof(
        junk,
        fc.record(
          { domain: value, dnsDomain: value, passwordCost: fc.oneof(fc.constant(10), value) },
          { requiredKeys: [] },
        ),
      ),
      async (opts) => {
        await works('createSimRealm', () => sim.createSimRealm(opts as sim.SimRealmOptions));
      },
      60,
    ),
  SimRealm: () =>
    property(junk, async (state) => {
      // Whatever the constructor was given, the realm's methods fail only in documented ways.
      const r = await works('new SimRealm', () => new sim.SimRealm(state as never));
      if (r.ok) await works('SimRealm#toJSON', () => (r.value as sim.SimRealm).toJSON());
    }),
  createBackendFromEnv: () =>
    property(
      fc.oneof(
        junk,
        fc.record(
          {
            WSASEC_SIM_REALM: fc.oneof(fc.constant(join(tmpdir(), 'wsasec-no-such-realm.json')), junk),
            WSASEC_SIM_MACHINE: value,
            WSASEC_SIM_USER: value,
          },
          { requiredKeys: [] },
        ),
      ),
      async (env) => {
        await works('createBackendFromEnv', () => sim.createBackendFromEnv(env as Record<string, string>));
      },
      60,
    ),
  openTokenCount: () =>
    property(
      args(3),
      async (a) => {
        const r = await works('openTokenCount', () =>
          (sim.openTokenCount as (...x: unknown[]) => number)(...a),
        );
        expect(r.value).toBe(0);
      },
      10,
    ),
  ReplayWindow: () =>
    property(
      // check/accept take sequence numbers the socket parsed (bigints); the size is user input.
      fc.tuple(
        value,
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      ),
      async ([size, a, b]) => {
        const r = await works('new ReplayWindow', () => new sim.ReplayWindow(size as number));
        if (!r.ok) return;
        const w = r.value as sim.ReplayWindow;
        await works('ReplayWindow#check', () => w.check(a as bigint));
        await works('ReplayWindow#accept', () => w.accept(b as bigint));
      },
    ),
  SimSocket: () =>
    property(
      args(3),
      async (a) => {
        const r = await works(
          'new SimSocket',
          () => new (sim.SimSocket as new (...x: unknown[]) => sim.SimSocket)(...a),
        );
        if (r.ok) (r.value as sim.SimSocket).destroy();
      },
      20,
    ),
};

const realmHarnesses: Record<string, (r: sim.SimRealm) => fc.Arbitrary<unknown[]>> = {
  addGroup: () => fc.tuple(value),
  addUser: () =>
    fc.tuple(value, fc.oneof(junk, fc.record({ password: value, groups: value }, { requiredKeys: [] }))),
  addMachine: () =>
    fc.tuple(value, fc.oneof(junk, fc.record({ spns: value, netbios: value }, { requiredKeys: [] }))),
  addPolicy: () =>
    fc.tuple(
      fc.oneof(
        junk,
        fc.record(
          {
            key: fc.oneof(fc.uuid(), value),
            mode: fc.oneof(fc.constantFrom('main', 'quick'), value),
            protection: value,
            authentication: value,
            lifetime: value,
          },
          { requiredKeys: [] },
        ),
      ),
    ),
  getPolicy: () => fc.tuple(value),
  removePolicy: () => fc.tuple(fc.oneof(fc.uuid(), value)),
  defaultPolicy: () => fc.tuple(value),
  lookup: () => fc.tuple(value),
  toJSON: () => args(2),
  // Never a real path: a realm file is written only where the test says.
  save: () =>
    fc.tuple(
      fc.oneof(
        junk.filter((v) => typeof v !== 'string'),
        fc.constant(join(tmpdir(), 'no-such-dir-wsasec', 'x.json')),
      ),
    ),
};

const realmStatics: Record<string, fc.Arbitrary<unknown[]>> = {
  fromJSON: fc.tuple(junk),
  load: fc.tuple(
    fc.oneof(
      junk.filter((v) => typeof v !== 'string'),
      fc.constant(join(tmpdir(), 'wsasec-no-such-realm.json')),
    ),
  ),
};

const backendHarnesses: Record<string, fc.Arbitrary<unknown[]>> = {
  createSocket: fc.tuple(
    fc.oneof(junk, fc.record({ family: value, type: value, allowHalfOpen: value }, { requiredKeys: [] })),
  ),
  addPolicies: fc.tuple(
    fc.oneof(
      junk,
      fc.array(
        fc.oneof(
          junk,
          fc.record(
            {
              key: fc.oneof(fc.uuid(), value),
              mode: fc.oneof(fc.constantFrom('main', 'quick'), value),
              protection: fc.oneof(fc.constantFrom('encryption', 'integrity'), value),
              authentication: value,
              lifetime: value,
            },
            { requiredKeys: [] },
          ),
        ),
        { maxLength: 3 },
      ),
    ),
  ),
  connect: fc.tuple(connectOpts),
  createServer: fc.tuple(
    fc.oneof(junk, fc.record({ security: settings, family: value }, { requiredKeys: [] })),
    value,
  ),
  currentIdentity: args(2),
  revertImpersonation: args(2),
  accessCheck: fc.tuple(
    value,
    fc.oneof(fc.constantFrom('O:BAD:(A;;GA;;;WD)', 'D:(D;;GA;;;WD)'), value),
    value,
  ),
  close: args(1),
};

const serverHarnesses: Record<string, fc.Arbitrary<unknown[]>> = {
  listen: fc.oneof(
    fc.tuple(
      fc.oneof(
        junk,
        fc.record({ host, port: fc.oneof(fc.constant(0), port), backlog: value }, { requiredKeys: [] }),
      ),
    ),
    // net.Server#listen's positional forms: (port, host, backlog, callback) with any of them junk.
    fc.tuple(fc.oneof(fc.constant(0), port, value), fc.oneof(host, value), value),
  ),
  address: args(2),
  close: args(1),
  closeAllConnections: args(1),
  getConnections: args(1),
  ref: args(1),
  unref: args(1),
};

/**
 * Methods of the sim's socket that are not entry points but are reachable by name (see the README):
 * the @internal hooks its protected channel calls with verified data, and the protected helpers of
 * its net.Socket surface.
 */
const INTERNAL_HOOKS = [
  'adopt',
  'channelAbort',
  'channelData',
  'channelEnd',
  'channelFailure',
  'channelRekeyed',
  'clearTimers',
  'touch',
];

const socketHarnesses: Record<string, fc.Arbitrary<unknown[]>> = {
  setSecurity: fc.tuple(settings),
  setPeerTargetName: fc.tuple(
    fc.oneof(value, fc.record({ name: value, grantedAccess: value }, { requiredKeys: [] })),
  ),
  deletePeerTargetName: fc.tuple(
    fc.oneof(value, fc.record({ address: host, port: value, family: value }, { requiredKeys: [] })),
  ),
  connect: fc.tuple(
    fc.oneof(junk, fc.record({ host, port, timeout: value, signal: value }, { requiredKeys: [] })),
  ),
  querySecurity: fc.tuple(
    fc.oneof(
      value,
      fc.record(
        { tokenAccess: fc.oneof(fc.constant(TOKEN_QUERY), value), ipsec2: value, peerAddress: value },
        { requiredKeys: [] },
      ),
    ),
  ),
  // Takes no arguments: whatever is passed is ignored.
  querySecurityAssociations: fc.tuple(value),
  impersonatePeer: fc.tuple(
    fc.oneof(
      value,
      fc.constant(() => 1),
      fc.constant(async () => 1),
    ),
    value,
  ),
  setNoDelay: args(2),
  setKeepAlive: args(3),
  setTimeout: args(2),
  ref: args(1),
  unref: args(1),
  address: args(1),
  destroySoon: args(1),
  resetAndDestroy: args(1),
  setTypeOfService: fc.tuple(fc.oneof(value, fc.integer({ min: -2, max: 300 }))),
  getTypeOfService: args(1),
};

/**
 * Codes of a call refused before it did anything (bad input, wrong order). A connect that ran and
 * failed (refused, timed out, negotiation failed) leaves a closed socket, as on Windows.
 */
const REJECTIONS = new Set([
  'ERR_WSASEC_INVALID_ARGUMENT',
  'ERR_WSASEC_ASYNC_IMPERSONATION',
  'WSAEINVAL',
  'WSAEFAULT',
  'WSAEAFNOSUPPORT',
  'WSAEISCONN',
  'WSAENOTCONN',
  'WSAEALREADY',
  'WSAEMSGSIZE',
  'WSAENOTSOCK',
  'WSAEOPNOTSUPP',
]);

/** What a rejected call must leave as it was. */
function snapshot(s: SecureSocket) {
  let security: unknown = 'unavailable';
  try {
    using info = s.querySecurity();
    security = { secured: info.secured, encrypted: info.encrypted, protocol: info.protocol };
  } catch (error) {
    security = documented(error, 'querySecurity');
  }
  return {
    readyState: (s as unknown as { readyState: string }).readyState,
    connecting: s.connecting,
    destroyed: s.destroyed,
    bytesRead: s.bytesRead,
    bytesWritten: s.bytesWritten,
    security,
  };
}

// --- the suite ------------------------------------------------------------------------------------

describe('every public entry point, with arbitrary values', () => {
  it('has a harness for every function the package exports, and every method of its objects', async () => {
    expect(exportedFunctions(sim as unknown as Record<string, unknown>)).toEqual(
      Object.keys(moduleHarnesses).sort(),
    );
    expect(methodNames(sim.SimRealm.prototype)).toEqual(Object.keys(realmHarnesses).sort());
    expect(staticNames(sim.SimRealm)).toEqual(Object.keys(realmStatics).sort());
    expect(methodNames(backend)).toEqual(Object.keys(backendHarnesses).sort());
    const server = backend.createServer();
    expect(methodNames(server, Object.getPrototypeOf(Object.getPrototypeOf(server)))).toEqual(
      Object.keys(serverHarnesses).sort(),
    );
    const socket = client.createSocket();
    expect(socketMethodNames(socket).filter((n) => !INTERNAL_HOOKS.includes(n))).toEqual(
      Object.keys(socketHarnesses).sort(),
    );
    socket.destroy();
  });

  it.each(Object.keys(moduleHarnesses))('module export %s', async (name) => {
    await (moduleHarnesses[name] as Harness)();
  });

  it.each(Object.keys(realmHarnesses))('SimRealm#%s', async (name) => {
    const r = adversarialRealm();
    await property((realmHarnesses[name] as (r: sim.SimRealm) => fc.Arbitrary<unknown[]>)(r), async (a) => {
      await works(`SimRealm#${name}`, () =>
        (r as unknown as Record<string, (...x: unknown[]) => unknown>)[name]?.(...a),
      );
    });
  });

  it.each(Object.keys(realmStatics))('SimRealm.%s', async (name) => {
    await property(realmStatics[name] as fc.Arbitrary<unknown[]>, async (a) => {
      await works(`SimRealm.${name}`, () =>
        (sim.SimRealm as unknown as Record<string, (...x: unknown[]) => unknown>)[name]?.(...a),
      );
    });
  });

  it.each(Object.keys(backendHarnesses))('backend.%s', async (name) => {
    await property(
      backendHarnesses[name] as fc.Arbitrary<unknown[]>,
      async (a) => {
        const target =
          name === 'close' ? sim.createSimBackend({ realm, machine: 'rogue.contoso.com' }) : client;
        const r = await works(`backend.${name}`, () =>
          (target as unknown as Record<string, (...x: unknown[]) => unknown>)[name]?.(...a),
        );
        const v = r.value as { destroy?(): void; close?(): unknown } | undefined;
        if (r.ok && name === 'connect') v?.destroy?.();
        if (r.ok && name === 'createSocket') v?.destroy?.();
        if (r.ok && name === 'createServer') await v?.close?.();
        if (r.ok && name === 'addPolicies') v?.close?.();
      },
      name === 'connect' ? 40 : RUNS,
    );
  });

  it.each(Object.keys(serverHarnesses))('server.%s', async (name) => {
    await property(
      serverHarnesses[name] as fc.Arbitrary<unknown[]>,
      async (a) => {
        const server = client.createServer();
        await works(`server.${name}`, () =>
          (server as unknown as Record<string, (...x: unknown[]) => unknown>)[name]?.(...a),
        );
        server.closeAllConnections();
        await closeServer(server);
      },
      name === 'listen' ? 60 : RUNS,
    );
  });

  it.each(Object.keys(socketHarnesses))(
    'socket.%s: a rejected call leaves the socket as it was',
    async (name) => {
      const connected = await connectSecured();
      try {
        await property(
          socketHarnesses[name] as fc.Arbitrary<unknown[]>,
          async (a) => {
            for (const socket of [client.createSocket(), connected]) {
              socket.on('error', () => {});
              if ((name === 'destroySoon' || name === 'resetAndDestroy') && socket === connected) continue;
              const before = snapshot(socket);
              const r = await works(`socket.${name}`, () =>
                (socket as unknown as Record<string, (...x: unknown[]) => unknown>)[name]?.(...a),
              );
              if (!r.ok && REJECTIONS.has(r.code as string)) expect(snapshot(socket)).toEqual(before);
              // A query's result owns its peer tokens.
              if (r.ok && name === 'querySecurity') (r.value as { close(): void }).close();
              if (socket !== connected) socket.destroy();
            }
          },
          name === 'connect' ? 40 : RUNS,
        );
        // The connection still carries data, encrypted.
        connected.setTimeout(0);
        connected.write('still here');
        expect((await readBytes(connected, 10)).toString()).toBe('still here');
        using info = connected.querySecurity();
        expect(info.encrypted).toBe(true);
      } finally {
        connected.destroy();
      }
    },
  );

  it.each(['setSecurity', 'setPeerTargetName'])(
    'socket.%s: a rejected call keeps the earlier settings for connect',
    async (name) => {
      let rejected = 0;
      await property(
        socketHarnesses[name] as fc.Arbitrary<unknown[]>,
        async (a) => {
          const socket = client.createSocket();
          socket.on('error', () => {});
          socket.setSecurity({ guaranteeEncryption: true });
          socket.setPeerTargetName('host/server.contoso.com');
          const r = await works(`socket.${name}`, () =>
            (socket as unknown as Record<string, (...x: unknown[]) => unknown>)[name]?.(...a),
          );
          if (r.ok) {
            socket.destroy();
            return;
          }
          rejected++;
          await once(socket.connect({ host: '127.0.0.1', port: echo.port }), 'connect');
          using info = socket.querySecurity({ tokenAccess: TOKEN_QUERY });
          expect(info.encrypted).toBe(true);
          expect(info.peerMachineToken?.user.name).toBe('SERVER$');
          socket.destroy();
        },
        40,
      );
      expect(rejected).toBeGreaterThan(10);
    },
  );

  it('ReplayWindow refuses a bad size or sequence number with ERR_WSASEC_INVALID_ARGUMENT', () => {
    for (const size of [0, 4097, 1.5, Number.NaN, '64']) {
      expect(() => new sim.ReplayWindow(size as number)).toThrow(
        expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
      );
    }
    const window = new sim.ReplayWindow(64);
    expect(() => window.check(1 as unknown as bigint)).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
    );
    expect(() => window.accept(2n ** 64n)).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
    );
    expect(window.top).toBe(0n);
  });
});
