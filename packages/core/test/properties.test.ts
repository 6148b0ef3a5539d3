import { isIP } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeServer,
  isDocumentedErrorCode,
  listenServer,
  normalizeAccessMask,
  normalizeAddress,
  normalizeConnectTarget,
  normalizeGuid,
  normalizePeerTargetName,
  normalizeProtocol,
  normalizeQuery,
  normalizeSecuritySettings,
  type PeerToken,
  type SecureDatagramSocket,
  type SecureServer,
  type SecureSocket,
  type SecureSocketBackend,
  SecureSocketError,
  socketState,
  TOKEN_QUERY,
} from '../src/index.js';
import { createMemoryBackend, createMemoryRealm } from '../src/testing/memory-backend.js';

const RUNS = { numRuns: 300 };
const ASYNC_RUNS = { numRuns: 100 };

/** True when `error` is a documented SecureSocketError (the only thing any call may throw). */
function documented(error: unknown): boolean {
  return SecureSocketError.isInstance(error) && isDocumentedErrorCode(error.code) && error.message.length > 0;
}

/** Runs `fn`: it either returns, or throws a documented SecureSocketError. */
function worksOrRefuses(fn: () => unknown): { ok: boolean; error?: unknown } {
  try {
    fn();
    return { ok: true };
  } catch (error) {
    if (!documented(error)) throw error;
    return { ok: false, error };
  }
}

function stateOf(socket: SecureSocket | SecureDatagramSocket) {
  const s = socketState(socket);
  return s && { ...s, targetNames: [...s.targetNames], sentTo: s.sentTo && [...s.sentTo] };
}

// Structured-but-wrong values: the right shape with a wrong or odd value in any field.
const odd = fc.anything({ withBigInt: true, withNullPrototype: true, withBoxedValues: true });
const boolish = fc.oneof(fc.boolean(), odd);
const protocolish = fc.oneof(
  fc.constantFrom('default', 'ipsec', 'ipsec2', 0, 1, 2, 3, -1, 'IPSEC', 1.5),
  odd,
);
const guidish = fc.oneof(
  fc.uuid(),
  fc.uuid().map((g) => `{${g.toUpperCase()}}`),
  fc.string(),
  odd,
);
const credentials = fc.record(
  {
    user: fc.oneof(fc.string({ maxLength: 600 }), fc.constant('CONTOSO\\alice'), odd),
    domain: fc.oneof(fc.string({ maxLength: 300 }), odd),
    password: fc.oneof(fc.string({ maxLength: 300 }), odd),
    extra: odd,
  },
  { requiredKeys: [] },
);
const ipsec = fc.record(
  {
    skipFilterInstantiation: boolish,
    optionalPeerNameVerification: boolish,
    allowFirstInboundPacketUnencrypted: boolish,
    peerNameIsRawFormat: boolish,
    mainModePolicyKey: guidish,
    quickModePolicyKey: guidish,
    credentials: fc.oneof(credentials, odd),
  },
  { requiredKeys: [] },
);
const settings = fc.oneof(
  fc.record(
    {
      protocol: protocolish,
      guaranteeEncryption: boolish,
      allowInsecure: boolish,
      ipsec: fc.oneof(ipsec, odd),
      tls: odd,
    },
    { requiredKeys: [] },
  ),
  odd,
);
const address = fc.oneof(
  fc.record(
    {
      address: fc.oneof(
        fc.ipV4(),
        fc.ipV6(),
        fc.ipV6().map((a) => `[${a}]`),
        fc.domain(),
        fc.string(),
        odd,
      ),
      port: fc.oneof(fc.integer({ min: -10, max: 70_000 }), fc.double(), odd),
      family: fc.oneof(fc.constantFrom('ipv4', 'ipv6', 'inet'), odd),
      scope: odd,
    },
    { requiredKeys: [] },
  ),
  odd,
);
const targetName = fc.oneof(
  fc.string({ maxLength: 1100 }),
  fc.record(
    { name: fc.oneof(fc.string(), odd), peerAddress: address, protocol: protocolish },
    { requiredKeys: [] },
  ),
  odd,
);
const mask = fc.oneof(fc.integer({ min: -1, max: 2 ** 32 }), fc.double(), fc.bigInt(), odd);
const query = fc.oneof(
  fc.record(
    {
      peerAddress: address,
      tokenAccess: mask,
      ipsec2: fc.oneof(
        fc.record(
          { fieldMask: fc.oneof(fc.integer({ min: -2, max: 8 }), odd), abortOnFieldChange: boolish },
          { requiredKeys: [] },
        ),
        odd,
      ),
    },
    { requiredKeys: [] },
  ),
  odd,
);
const connectTarget = fc.oneof(
  fc.record(
    {
      host: fc.oneof(fc.ipV4(), fc.domain(), fc.string({ maxLength: 300 }), odd),
      port: fc.oneof(fc.integer({ min: -1, max: 70_000 }), odd),
      timeout: fc.oneof(fc.double(), odd),
      signal: fc.oneof(fc.constant(AbortSignal.abort()), odd),
    },
    { requiredKeys: [] },
  ),
  odd,
);

describe('normalizers return or throw a documented SecureSocketError, for any input', () => {
  const cases: [string, fc.Arbitrary<unknown>, (v: unknown) => unknown][] = [
    ['normalizeProtocol', protocolish, (v) => normalizeProtocol(v, 'x')],
    ['normalizeGuid', guidish, (v) => normalizeGuid(v, 'key', 'x')],
    ['normalizeSecuritySettings', settings, (v) => normalizeSecuritySettings(v)],
    ['normalizeAddress', address, (v) => normalizeAddress(v, 'peerAddress', 'x')],
    ['normalizePeerTargetName', targetName, (v) => normalizePeerTargetName(v, 1)],
    ['normalizeAccessMask', mask, (v) => normalizeAccessMask(v, 'mask', 'x')],
    ['normalizeQuery', query, (v) => normalizeQuery(v, 0)],
    ['normalizeConnectTarget', connectTarget, (v) => normalizeConnectTarget(v)],
  ];
  for (const [name, arbitrary, call] of cases) {
    it(name, () => {
      fc.assert(
        fc.property(fc.oneof(arbitrary, odd), (value) => {
          worksOrRefuses(() => call(value));
        }),
        RUNS,
      );
    });
  }

  it('accepted settings normalize to legal C values', () => {
    fc.assert(
      fc.property(settings, (value) => {
        let n: ReturnType<typeof normalizeSecuritySettings>;
        try {
          n = normalizeSecuritySettings(value);
        } catch {
          return;
        }
        expect([0, 1, 2]).toContain(n.protocol);
        expect(n.securityFlags & ~3).toBe(0);
        expect(n.ipsecFlags & ~0xf).toBe(0);
        if (n.structure !== 'ipsec') expect(n.ipsecFlags).toBe(0);
        if (n.structure === 'ipsec') expect(n.protocol).not.toBe(0);
        expect(normalizeSecuritySettings(value)).toEqual(n);
      }),
      RUNS,
    );
  });

  it('accepted addresses are canonical IP literals and normalizing again changes nothing', () => {
    fc.assert(
      fc.property(address, (value) => {
        let n: ReturnType<typeof normalizeAddress>;
        try {
          n = normalizeAddress(value, 'a', 'x');
        } catch {
          return;
        }
        expect(isIP(n.address)).toBe(n.family === 'ipv4' ? 4 : 6);
        expect(Number.isInteger(n.port) && n.port >= 0 && n.port <= 65535).toBe(true);
        expect(normalizeAddress(n, 'a', 'x')).toEqual(n);
      }),
      RUNS,
    );
  });
});

describe('every SecureSocket and SecureSocketBackend method of the memory backend', () => {
  const realm = createMemoryRealm();
  let client: SecureSocketBackend;
  let server: SecureSocketBackend;
  let listener: SecureServer;
  let connected: SecureSocket;
  let accepted: SecureSocket;
  let token: PeerToken;

  beforeAll(async () => {
    client = createMemoryBackend({ realm, machine: 'PCLIENT', user: 'bob' });
    server = createMemoryBackend({ realm, machine: 'PSERVER' });
    listener = server.createServer();
    const acceptedOnce = new Promise<SecureSocket>((resolve) => listener.once('connection', resolve));
    const { port } = await listenServer(listener);
    connected = await client.connect({ host: '127.0.0.1', port });
    accepted = await acceptedOnce;
    const info = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
    info.peerApplicationToken?.close();
    token = info.peerMachineToken as PeerToken;
  });

  afterAll(async () => {
    token.close();
    listener.closeAllConnections();
    await Promise.all([client.close(), server.close()]);
  });

  /** `call(socket, value)` on a fresh or shared socket: works, or is refused leaving the state as it was. */
  function socketProperty(
    arbitrary: fc.Arbitrary<unknown>,
    socket: () => SecureSocket | SecureDatagramSocket,
    call: (s: SecureSocket & SecureDatagramSocket, v: unknown) => unknown,
  ) {
    fc.assert(
      fc.property(fc.oneof(arbitrary, odd), (value) => {
        const s = socket() as SecureSocket & SecureDatagramSocket;
        const before = stateOf(s);
        const { ok } = worksOrRefuses(() => call(s, value));
        if (!ok) expect(stateOf(s)).toEqual(before);
      }),
      RUNS,
    );
  }

  it('setSecurity', () =>
    socketProperty(
      settings,
      () => client.createSocket(),
      (s, v) => s.setSecurity(v as never),
    ));
  it('setPeerTargetName (stream and datagram)', () => {
    socketProperty(
      targetName,
      () => client.createSocket(),
      (s, v) => s.setPeerTargetName(v as never),
    );
    socketProperty(
      targetName,
      () => client.createSocket({ type: 'dgram' }),
      (s, v) => s.setPeerTargetName(v as never),
    );
  });
  it('deletePeerTargetName', () => {
    socketProperty(
      address,
      () => client.createSocket({ type: 'dgram' }),
      (s, v) => s.deletePeerTargetName(v as never),
    );
  });
  it('querySecurity (unconnected, connected, accepted, datagram)', () => {
    const close = (info: unknown) => (info as { close(): void }).close();
    socketProperty(
      query,
      () => client.createSocket(),
      (s, v) => close(s.querySecurity(v as never)),
    );
    socketProperty(
      query,
      () => connected,
      (s, v) => close(s.querySecurity(v as never)),
    );
    socketProperty(
      query,
      () => accepted,
      (s, v) => close(s.querySecurity(v as never)),
    );
    socketProperty(
      query,
      () => client.createSocket({ type: 'dgram' }),
      (s, v) => close(s.querySecurity(v as never)),
    );
  });
  it('impersonatePeer (callbacks of any kind, any peer address)', () => {
    const callback = fc.oneof(fc.func(odd), odd);
    const self = server.currentIdentity();
    socketProperty(
      fc.tuple(callback, address),
      () => accepted,
      (s, v) => {
        const [fn, peer] = Array.isArray(v) ? v : [v, undefined];
        return s.impersonatePeer(fn as never, peer as never);
      },
    );
    expect(server.currentIdentity()).toEqual(self);
  });
  it('connect', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(connectTarget, odd), async (value) => {
        const s = client.createSocket();
        s.on('error', () => {});
        const before = stateOf(s);
        try {
          await s.connect(value as never);
        } catch (error) {
          if (!documented(error)) throw error;
          // Refused before trying (state unchanged), or failed while trying (fail closed).
          const after = stateOf(s);
          if (after?.phase !== 'closed') expect(after).toEqual(before);
          else expect(s.destroyed).toBe(true);
        } finally {
          s.destroy();
        }
      }),
      ASYNC_RUNS,
    );
  });

  it('backend.createSocket', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record(
            {
              family: fc.oneof(fc.constantFrom('ipv4', 'ipv6'), odd),
              type: fc.oneof(fc.constantFrom('stream', 'dgram'), odd),
            },
            { requiredKeys: [] },
          ),
          odd,
        ),
        (value) => {
          worksOrRefuses(() => {
            const socket = client.createSocket(value as never) as SecureSocket | SecureDatagramSocket;
            if (socket.socketType === 'dgram') (socket as SecureDatagramSocket).close();
            else (socket as SecureSocket).destroy();
          });
        },
      ),
      RUNS,
    );
  });
  it('backend.createServer and listen', async () => {
    const serverOptions = fc.oneof(
      fc.record(
        { security: settings, family: fc.oneof(fc.constantFrom('ipv4', 'ipv6'), odd) },
        { requiredKeys: [] },
      ),
      odd,
    );
    const listenOptions = fc.oneof(
      fc.record(
        {
          host: fc.oneof(fc.constantFrom('127.0.0.1', '::1', '[::1]'), fc.string(), odd),
          port: fc.oneof(fc.constant(0), fc.integer({ min: -1, max: 70_000 }), odd),
          backlog: fc.oneof(fc.nat(), odd),
        },
        { requiredKeys: [] },
      ),
      odd,
    );
    await fc.assert(
      fc.asyncProperty(
        serverOptions,
        fc.oneof(fc.func(fc.constant(undefined)), odd),
        listenOptions,
        async (opts, cb, listen) => {
          let created: SecureServer | undefined;
          worksOrRefuses(() => {
            created = server.createServer(opts as never, cb as never);
          });
          if (!created) return;
          try {
            await created.listen(listen as never);
          } catch (error) {
            if (!documented(error)) throw error;
            expect(created.listening).toBe(false);
          } finally {
            await closeServer(created);
          }
        },
      ),
      ASYNC_RUNS,
    );
  });
  it('backend.connect', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record(
            {
              host: fc.oneof(fc.constantFrom('127.0.0.1', 'localhost', '::1'), fc.domain(), odd),
              port: fc.oneof(fc.integer({ min: 0, max: 70_000 }), odd),
              family: fc.oneof(fc.constantFrom('ipv4', 'ipv6'), odd),
              security: settings,
              peerTargetName: targetName,
              timeout: fc.oneof(fc.integer({ min: 1, max: 1000 }), odd),
            },
            { requiredKeys: ['host', 'port'] },
          ),
          odd,
        ),
        async (value) => {
          try {
            (await client.connect(value as never)).destroy();
          } catch (error) {
            if (!documented(error)) throw error;
          }
        },
      ),
      ASYNC_RUNS,
    );
  });
  it('backend.accessCheck (real and fake tokens, any SDDL, any mask)', () => {
    const sddl = fc.oneof(
      fc.constantFrom(
        'D:',
        'D:(A;;GA;;;WD)',
        'D:(D;;GA;;;AU)(A;;GR;;;WD)',
        'O:BAG:BAD:P(A;;FA;;;SY)',
        'D:(A;;0x1f01ff;;;S-1-1-0)',
      ),
      fc.string({ maxLength: 200 }),
      fc.stringMatching(/^D:(\([AD];[A-Z]{0,4};[A-Z0-9x]{0,10};;;[A-Z0-9-]{0,20}\)){0,3}$/),
      odd,
    );
    fc.assert(
      fc.property(fc.oneof(fc.constant(undefined), odd), sddl, mask, (fake, s, m) => {
        worksOrRefuses(() =>
          server.accessCheck(fake === undefined ? token : (fake as never), s as never, m as never),
        );
      }),
      RUNS,
    );
  });
  it('currentIdentity and revertImpersonation take no input and never throw', () => {
    for (const backend of [client, server]) {
      expect(backend.currentIdentity().sid).toMatch(/^S-1-5-21-/);
      backend.revertImpersonation();
    }
  });
});
