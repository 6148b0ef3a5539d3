// Creation, options, platform checks, datagram sockets, the raw API on application-owned SOCKETs,
// and fail-closed verification of new connections.
import { once } from 'node:events';
import * as net from 'node:net';
import type { SecureSocketBackend } from '@wsasec/core';
import { SecureSocketError, TOKEN_QUERY } from '@wsasec/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WFP_STRUCT_LAYOUTS } from '../src/abi.js';
import {
  createBackendFromEnv,
  createNativeBackend,
  createWinsockSecureApi,
  nativeBackendStats,
  selfTestNodeInternals,
} from '../src/index.js';
import { FakeLibrary } from './support/fake-library.js';
import { FakeWfp, sampleSaDetails } from './support/fake-wfp.js';
import { echoServer, stopAll, type Tracked, tracker, within } from './support/net-helpers.js';

let lib: FakeLibrary;
let backend: SecureSocketBackend;
let t: Tracked;

beforeEach(() => {
  lib = new FakeLibrary();
  backend = createNativeBackend({ library: lib });
  t = tracker();
});
afterEach(async () => {
  await backend.close();
  await stopAll(t);
  expect(lib.violations).toEqual([]);
  expect(lib.leaks).toEqual({ handles: 0, pointers: 0 });
});

describe('creating the backend', () => {
  it('is refused off Windows without an injected library, with a message naming the alternative', () => {
    expect(process.platform).not.toBe('win32');
    let thrown: unknown;
    try {
      createNativeBackend();
    } catch (error) {
      thrown = error;
    }
    expect(SecureSocketError.isInstance(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'ERR_WSASEC_UNSUPPORTED_PLATFORM' });
    expect((thrown as Error).message).toMatch(/needs Windows.*@wsasec\/sim/);
    expect(() => createBackendFromEnv({})).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_UNSUPPORTED_PLATFORM' }),
    );
    expect(() => createWinsockSecureApi()).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_UNSUPPORTED_PLATFORM' }),
    );
  });

  it('refuses bad options with what is accepted', () => {
    const cases: unknown[] = [
      42,
      'x',
      [],
      { nope: 1 },
      { library: 5 },
      { targetNameLengthUnit: 'words' },
      { verifyConnections: 'yes' },
      { maxQueryInfoSize: 3 },
      { lookup: 'dns' },
    ];
    for (const opts of cases) {
      let thrown: unknown;
      try {
        createNativeBackend(opts as never);
      } catch (error) {
        thrown = error;
      }
      expect(SecureSocketError.isInstance(thrown), JSON.stringify(opts)).toBe(true);
      expect(thrown).toMatchObject({ code: 'ERR_WSASEC_INVALID_ARGUMENT' });
      expect((thrown as Error).message).toMatch(/createNativeBackend: /);
    }
    expect(() => createBackendFromEnv({ WSASEC_NATIVE_TARGET_NAME_UNIT: 'words' })).toThrow(
      /auto, chars or bytes/,
    );
  });

  it('names itself and passes the Node internals self-test', () => {
    expect(backend.name).toBe('native-win');
    expect(backend.specificationVersion).toBe('v1');
    expect(() => selfTestNodeInternals()).not.toThrow();
    expect(() => nativeBackendStats({} as SecureSocketBackend)).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
    );
  });

  it('uses the configured target-name unit', () => {
    const bytes = createNativeBackend({ library: lib, targetNameLengthUnit: 'bytes' });
    const socket = bytes.createSocket();
    socket.setPeerTargetName('host/abc');
    expect(lib.callsOf('WSASetSocketPeerTargetName')[0]?.bytes?.readUInt32LE(136)).toBe(16);
    socket.destroy();
  });

  it('destroys its open sockets on close', async () => {
    const socket = backend.createSocket();
    const dgram = backend.createSocket({ type: 'dgram' });
    const closed = Promise.all([once(socket, 'close'), once(dgram, 'close')]);
    expect(nativeBackendStats(backend).openSockets).toBe(2);
    await backend.close();
    expect(socket.destroyed && dgram.closed).toBe(true);
    await closed;
    expect(nativeBackendStats(backend).openSockets).toBe(0);
    expect(lib.callsOf('closesocket')).toHaveLength(2);
  });
});

describe('fail-closed verification of a new connection', () => {
  it('destroys a connection the query says is not secured, before anything written reaches the peer', async () => {
    const { port, received } = await echoServer(t);
    lib.query.flags = 0;
    const socket = backend.createSocket();
    socket.setSecurity({});
    socket.write('written before connect');
    await expect(once(socket.connect({ host: '127.0.0.1', port }), 'connect')).rejects.toMatchObject({
      code: 'ERR_WSASEC_NEGOTIATION_FAILED',
      syscall: 'WSAConnect',
    });
    expect(socket.destroyed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Buffer.concat(received).length).toBe(0);
  });

  it('refuses an integrity-only connection under guaranteeEncryption even with allowInsecure', async () => {
    const { port } = await echoServer(t);
    lib.query.flags = 0x1;
    await expect(
      backend.connect({
        host: '127.0.0.1',
        port,
        security: { guaranteeEncryption: true, allowInsecure: true },
      }),
    ).rejects.toMatchObject({ code: 'ERR_WSASEC_NEGOTIATION_FAILED' });
    lib.query.flags = 0;
    const clear = await backend.connect({ host: '127.0.0.1', port, security: { allowInsecure: true } });
    t.sockets.add(clear);
    expect(clear.querySecurity().flags).toBe(0);
  });

  it('holds writes made before connect and sends them once the connection is verified', async () => {
    const { port, received } = await echoServer(t);
    const socket = backend.createSocket();
    t.sockets.add(socket);
    socket.setSecurity({});
    socket.write('early ');
    await once(socket.connect({ host: '127.0.0.1', port }), 'connect');
    socket.write('late');
    await within(
      (async () => {
        while (Buffer.concat(received).toString() !== 'early late')
          await new Promise((r) => setTimeout(r, 5));
      })(),
    );
  });

  it('can be turned off', async () => {
    const { port } = await echoServer(t);
    const trusting = createNativeBackend({ library: lib, verifyConnections: false });
    lib.query.flags = 0;
    const socket = await trusting.connect({ host: '127.0.0.1', port, security: {} });
    expect(lib.callsOf('WSAQuerySocketSecurity')).toHaveLength(0);
    socket.destroy();
    await trusting.close();
  });
});

describe('datagram sockets', () => {
  it('creates a UDP SOCKET, sets names per peer, queries and impersonates with a peer address', () => {
    const socket = backend.createSocket({ type: 'dgram', family: 'ipv6' });
    expect(lib.callsOf('WSASocketW')[0]?.value).toMatchObject({ af: 23, type: 2, protocol: 17 });
    socket.setSecurity({ protocol: 'ipsec' });
    socket.setPeerTargetName({ name: 'host/a', peerAddress: { address: '::1', port: 500 } });
    socket.deletePeerTargetName({ address: '::1', port: 500 });
    const del = lib.callsOf('WSADeleteSocketPeerTargetName')[0];
    expect(del?.len).toBe(28);
    const info = socket.querySecurity({
      peerAddress: { address: '::1', port: 500 },
      tokenAccess: TOKEN_QUERY,
    });
    expect(info.peerApplicationToken?.user.name).toBe('alice');
    info.close();
    const template = lib.callsOf('WSAQuerySocketSecurity')[0]?.bytes as Buffer;
    expect(template.readUInt16LE(8)).toBe(23);
    expect(socket.impersonatePeer(() => backend.currentIdentity().name, { address: '::1', port: 500 })).toBe(
      'alice',
    );
    socket.close();
  });

  it('closes its SOCKET once on close', async () => {
    const socket = backend.createSocket({ type: 'dgram' });
    await new Promise<void>((resolve) => socket.close(resolve));
    socket.close();
    expect(lib.callsOf('closesocket')).toHaveLength(1);
  });
});

describe('raw API on application-owned SOCKETs', () => {
  it('calls the six functions on a SOCKET number, validating input with core', () => {
    const api = createWinsockSecureApi({ library: lib });
    const s = lib.WSASocketW(2, 1, 6, null, 0, 0);
    api.setSocketSecurity(s, { guaranteeEncryption: true });
    api.setSocketPeerTargetName(s, 'host/raw');
    api.deleteSocketPeerTargetName(s, { address: '127.0.0.1', port: 80 });
    const info = api.querySocketSecurity(s, { tokenAccess: TOKEN_QUERY });
    expect(info.peerMachineToken?.user.name).toBe('CLIENT$');
    info.close();
    expect(api.impersonateSocketPeer(s, () => lib.threadIdentity?.name)).toBe('alice');
    expect(lib.threadIdentity).toBeUndefined();
    expect(lib.calls.map((c) => c.fn).filter((f) => f.startsWith('WSA') && f !== 'WSASocketW')).toEqual([
      'WSASetSocketSecurity',
      'WSASetSocketPeerTargetName',
      'WSADeleteSocketPeerTargetName',
      'WSAQuerySocketSecurity',
      'WSAQuerySocketSecurity',
      'WSAImpersonateSocketPeer',
      'WSARevertImpersonation',
    ]);
    expect(() => api.setSocketSecurity(-1 as number)).toThrow(
      expect.objectContaining({ code: 'WSAENOTSOCK' }),
    );
    expect(() => api.setSocketSecurity(s, { protocol: 'tls' } as never)).toThrow(
      expect.objectContaining({ code: 'WSAEINVAL' }),
    );
    expect(() => api.impersonateSocketPeer(s, 'fn' as never)).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
    );
    lib.closesocket(s);
  });

  it('reverts after a throwing callback and refuses a promise', () => {
    const api = createWinsockSecureApi({ library: lib });
    const s = lib.WSASocketW(2, 1, 6, null, 0, 0);
    expect(() =>
      api.impersonateSocketPeer(s, () => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(lib.threadIdentity).toBeUndefined();
    expect(() => api.impersonateSocketPeer(s, async () => 1)).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_ASYNC_IMPERSONATION' }),
    );
    expect(lib.threadIdentity).toBeUndefined();
    lib.closesocket(s);
  });
});

describe('backend identity and revert', () => {
  it('revertImpersonation calls WSARevertImpersonation and reverts a token impersonation too', () => {
    backend.revertImpersonation();
    expect(lib.callsOf('WSARevertImpersonation')).toHaveLength(1);
    expect(lib.callsOf('RevertToSelf')).toHaveLength(1);
    expect(backend.currentIdentity()).toEqual({
      sid: expect.stringMatching(/^S-1-5-21-/),
      name: 'svc',
      domain: 'CONTOSO',
    });
  });

  it('accessCheck refuses a token it did not make', () => {
    const foreign = {
      kind: 'machine',
      user: { sid: 'S-1-5-18' },
      groups: [],
      access: 8,
      closed: false,
      close() {},
    };
    expect(() => backend.accessCheck(foreign as never, 'D:(A;;GA;;;WD)', 1)).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
    );
  });
});

describe('a plain peer reaches nothing through the traps', () => {
  it('the fresh socket a naive connect() would make is never one the library secured', async () => {
    // Control for the trap tests: a plain net.Socket never goes through the library at all.
    const { port } = await echoServer(t);
    const plain = net.connect({ host: '127.0.0.1', port });
    await once(plain, 'connect');
    expect(lib.calls).toEqual([]);
    plain.destroy();
  });
});

describe('addPolicies (WFP provider contexts)', () => {
  const MM = {
    key: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
    mode: 'main',
    authentication: ['machine'],
  } as const;
  const QM = {
    key: '6f9619ff-8b86-d011-b42d-00c04fc964ff',
    mode: 'quick',
    protection: 'encryption',
  } as const;

  it('opens a dynamic session, adds both contexts in one transaction, and deletes them on close()', async () => {
    const wfp = new FakeWfp();
    const withWfp = createNativeBackend({ library: lib, wfpLibrary: wfp });
    const added = withWfp.addPolicies([MM, QM]);
    expect(added.keys).toEqual([MM.key, QM.key]);
    expect(wfp.calls.map((c) => c.fn)).toEqual([
      'FwpmEngineOpen0',
      'FwpmTransactionBegin0',
      'FwpmProviderContextAdd0',
      'FwpmProviderContextAdd0',
      'FwpmTransactionCommit0',
    ]);
    expect(wfp.calls[0]?.sessionFlags).toBe(0x1); // FWPM_SESSION_FLAG_DYNAMIC
    expect(wfp.callsOf('FwpmProviderContextAdd0').map((c) => c.context?.key)).toEqual([MM.key, QM.key]);
    expect([...wfp.keys].sort()).toEqual([MM.key, QM.key].sort());
    added.close();
    expect(wfp.keys.size).toBe(0);
    expect(wfp.openEngines.size).toBe(0);
    expect(wfp.calls.at(-1)?.fn).toBe('FwpmEngineClose0');
    await withWfp.close();
  });

  it('a WFP refusal adds nothing, closes the session and surfaces as a documented code', async () => {
    const wfp = new FakeWfp();
    wfp.fail('FwpmProviderContextAdd0', 5, { skip: 1 }); // ERROR_ACCESS_DENIED on the second
    const withWfp = createNativeBackend({ library: lib, wfpLibrary: wfp });
    expect(() => withWfp.addPolicies([MM, QM])).toThrow(expect.objectContaining({ code: 'WSAEACCES' }));
    expect(wfp.keys.size).toBe(0);
    expect(wfp.openEngines.size).toBe(0);
    await withWfp.close();
  });

  it("the backend's close() deletes what is still registered", async () => {
    const wfp = new FakeWfp();
    const withWfp = createNativeBackend({ library: lib, wfpLibrary: wfp });
    withWfp.addPolicies([QM]);
    await withWfp.close();
    expect(wfp.keys.size).toBe(0);
    expect(wfp.openEngines.size).toBe(0);
  });

  it('refuses a wfpLibrary that is not an object', () => {
    expect(() => createNativeBackend({ library: lib, wfpLibrary: 'fwpuclnt' as never })).toThrow(
      expect.objectContaining({
        code: 'ERR_WSASEC_INVALID_ARGUMENT',
        message: expect.stringContaining('wfpLibrary'),
      }),
    );
  });
});

describe('querySecurityAssociations (MatchIPsecSAsForConnectedSocket)', () => {
  const mmSa = () => {
    const b = Buffer.alloc(WFP_STRUCT_LAYOUTS.IKEEXT_SA_DETAILS0.size);
    const D = WFP_STRUCT_LAYOUTS.IKEEXT_SA_DETAILS0.offsets;
    b.writeBigUInt64LE(0x1122334455667788n, D.saId);
    b.writeUInt32LE(1, D.keyModuleType);
    b.writeUInt32LE(0x7f000001, D.ikeTraffic + 4);
    b.writeUInt32LE(0x7f000001, D.ikeTraffic + 20);
    b.writeUInt32LE(4, D.ikeProposal); // IKEEXT_CIPHER_AES_256
    b.writeUInt32LE(2, D.ikeProposal + 12); // IKEEXT_INTEGRITY_SHA_256
    b.writeUInt32LE(28800, D.ikeProposal + 16);
    b.writeUInt32LE(4, D.ikeProposal + 20); // IKEEXT_DH_ECP_256
    return b;
  };
  // The fixture's directions, on this connection's loopback pair and port.
  const details = (saDirection: 'inbound' | 'outbound', port: number) => {
    const d = sampleSaDetails(saDirection);
    return { ...d, traffic: { ...d.traffic, remoteAddress: '127.0.0.1', remotePort: port } };
  };

  it('queries the SA ids, looks both SAs up in a session of its own and names the algorithms', async () => {
    const { port } = await echoServer(t);
    const wfp = new FakeWfp();
    wfp.sas.set(0x1122334455667788n, mmSa());
    const withWfp = createNativeBackend({ library: lib, wfpLibrary: wfp });
    const socket = await withWfp.connect({ host: '127.0.0.1', port, security: {}, peerTargetName: 'host/s' });
    wfp.qmSas.push(
      { saContextId: 1n, inboundSa: details('inbound', port), outboundSa: details('outbound', port) },
      { saContextId: 2n, inboundSa: undefined, outboundSa: details('outbound', port + 1) },
    );
    expect(socket.querySecurityAssociations()).toEqual({
      mainMode: {
        id: 0x1122334455667788n,
        localAddress: '127.0.0.1',
        remoteAddress: '127.0.0.1',
        cipher: 'AES-256',
        integrity: 'SHA-256',
        keyExchange: 'ECDH P-256',
        lifetimeSeconds: 28800,
      },
      quickMode: [
        {
          id: 42n,
          mainModeId: 0x1122334455667788n,
          protocol: 'esp',
          encryption: 'AES-256-GCM',
          integrity: 'AES-256-GCM',
          lifetimeSeconds: 3600,
          lifetimeKilobytes: 57_671_680,
          inboundSpi: 0x20,
          outboundSpi: 0x10,
          localAddress: '127.0.0.1',
          remoteAddress: '127.0.0.1',
          remotePort: port,
        },
      ],
    });
    expect(lib.calls.filter((c) => c.fn === 'WSAQuerySocketSecurity').at(-1)?.len).toBe(152);
    expect(wfp.openEngines.size).toBe(0);
    expect(wfp.allocated.size).toBe(0);
    expect(wfp.openEnums.size).toBe(0);
    socket.destroy();
    await withWfp.close();
  });

  it('a WFP refusal surfaces as its documented code, with the session closed', async () => {
    const { port } = await echoServer(t);
    const wfp = new FakeWfp();
    wfp.fail('IkeextSaGetById0', 5);
    const withWfp = createNativeBackend({ library: lib, wfpLibrary: wfp });
    const socket = await withWfp.connect({ host: '127.0.0.1', port, security: {}, peerTargetName: 'host/s' });
    expect(() => socket.querySecurityAssociations()).toThrow(
      expect.objectContaining({ code: 'WSAEACCES', syscall: 'IkeextSaGetById0' }),
    );
    expect(wfp.openEngines.size).toBe(0);
    socket.destroy();
    await withWfp.close();
  });
});
