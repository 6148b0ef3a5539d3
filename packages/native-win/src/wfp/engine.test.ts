import { SecureSocketError } from '@wsasec/core';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  FakeWfp,
  FWP_E_ALREADY_EXISTS,
  FWP_E_PROVIDER_CONTEXT_NOT_FOUND,
  FWP_E_TXN_ABORTED,
  sampleSaContext,
  sampleSaDetails,
} from '../../test/support/fake-wfp.js';
import { writeGuid } from '../abi/settings.js';
import { openWfpEngine } from './engine.js';
import { WFP_CONSTANTS, WFP_STRUCT_LAYOUTS } from './layout.js';
import type { WfpPolicy } from './policy.js';
import type { WfpIpsecSaDetails } from './sa.js';

const MM: WfpPolicy = {
  key: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
  mode: 'main',
  authentication: ['machine'],
};
const QM: WfpPolicy = {
  key: '6F9619FF-8B86-D011-B42D-00C04FC964FF',
  mode: 'quick',
  protection: 'encryption',
};
const QM_KEY = '6f9619ff-8b86-d011-b42d-00c04fc964ff';

let lib: FakeWfp;
beforeEach(() => {
  lib = new FakeWfp();
});

const fns = () => lib.calls.map((c) => c.fn);

describe('provider contexts', () => {
  it('adds the sim-shaped description and deletes it exactly once on disposal', () => {
    {
      using engine = openWfpEngine({ library: lib });
      using qm = engine.addPolicy(QM);
      expect(qm.key).toBe(QM_KEY);
      expect(qm.id).toBe(7000n);
      expect(lib.callsOf('FwpmProviderContextAdd0')[0]?.context?.policy).toEqual({
        key: QM_KEY,
        mode: 'quick',
        protection: 'encryption',
        seconds: 3600,
        kilobytes: (55 * 2 ** 30) / 1024,
      });
      expect(lib.keys).toEqual(new Set([QM_KEY]));
      qm.close();
      qm.close();
      expect(qm.closed).toBe(true);
    }
    expect(lib.callsOf('FwpmProviderContextDeleteByKey0').map((c) => c.key)).toEqual([QM_KEY]);
    expect(lib.keys.size).toBe(0);
    expect(lib.openEngines.size).toBe(0);
    expect(fns().at(-1)).toBe('FwpmEngineClose0');
  });

  it('engine close deletes what is still open, once each, then closes the session', () => {
    const engine = openWfpEngine({ library: lib });
    const [mm, qm] = engine.addPolicies([MM, QM]);
    engine.close();
    engine.close();
    mm?.close();
    qm?.[Symbol.dispose]();
    expect(lib.callsOf('FwpmProviderContextDeleteByKey0').map((c) => c.key)).toEqual([MM.key, QM_KEY]);
    expect(lib.callsOf('FwpmEngineClose0')).toHaveLength(1);
    expect(lib.keys.size).toBe(0);
  });

  it('counts a context already gone from WFP as deleted', () => {
    const engine = openWfpEngine({ library: lib });
    const qm = engine.addPolicy(QM);
    lib.keys.clear();
    expect(() => qm.close()).not.toThrow();
    expect(qm.closed).toBe(true);
    engine.close();
    expect(lib.callsOf('FwpmProviderContextDeleteByKey0')).toHaveLength(1);
  });

  it('a failed delete keeps the context open for a retry, and close still closes the session', () => {
    const engine = openWfpEngine({ library: lib });
    const qm = engine.addPolicy(QM);
    lib.fail('FwpmProviderContextDeleteByKey0', 0x8032000a); // FWP_E_IN_USE
    expect(() => qm.close()).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_POLICY_STORE', errno: 0x8032000a }),
    );
    expect(qm.closed).toBe(false);
    engine.close();
    expect(qm.closed).toBe(true);
    expect(lib.keys.size).toBe(0);
    expect(lib.openEngines.size).toBe(0);
  });

  it('deletePolicy deletes a context a previous run left, and says WSAEINVAL for an unknown key', () => {
    lib.keys.add(QM_KEY);
    const engine = openWfpEngine({ library: lib });
    engine.deletePolicy(QM.key);
    expect(lib.keys.size).toBe(0);
    expect(() => engine.deletePolicy(QM.key)).toThrow(
      expect.objectContaining({
        code: 'WSAEINVAL',
        errno: FWP_E_PROVIDER_CONTEXT_NOT_FOUND,
        syscall: 'FwpmProviderContextDeleteByKey0',
      }),
    );
    engine.close();
  });
});

describe('transactions: all or nothing', () => {
  it('a failed add aborts the batch and leaves no provider context', () => {
    const engine = openWfpEngine({ library: lib });
    lib.fail('FwpmProviderContextAdd0', FWP_E_ALREADY_EXISTS, { skip: 1 });
    expect(() => engine.addPolicies([MM, QM])).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT', errno: FWP_E_ALREADY_EXISTS }),
    );
    expect(fns()).toEqual([
      'FwpmEngineOpen0',
      'FwpmTransactionBegin0',
      'FwpmProviderContextAdd0',
      'FwpmProviderContextAdd0',
      'FwpmTransactionAbort0',
    ]);
    expect(lib.keys.size).toBe(0);
    expect(engine.contexts).toEqual([]);
    engine.close();
    expect(lib.callsOf('FwpmProviderContextDeleteByKey0')).toEqual([]);
  });

  it('a failed commit leaves nothing and the wrappers closed without a delete', () => {
    const engine = openWfpEngine({ library: lib });
    lib.fail('FwpmTransactionCommit0', FWP_E_TXN_ABORTED);
    let added: unknown[] = [];
    expect(() =>
      engine.transaction(() => {
        added = engine.addPolicies([MM, QM]);
      }),
    ).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_POLICY_STORE', syscall: 'FwpmTransactionCommit0' }),
    );
    expect(added).toHaveLength(2);
    expect(added.every((c) => (c as { closed: boolean }).closed)).toBe(true);
    expect(lib.keys.size).toBe(0);
    engine.close();
    expect(lib.callsOf('FwpmProviderContextDeleteByKey0')).toEqual([]);
  });

  it('an exception in the callback undoes its deletes too', () => {
    const engine = openWfpEngine({ library: lib });
    const qm = engine.addPolicy(QM);
    expect(() =>
      engine.transaction(() => {
        qm.close();
        throw new Error('changed my mind');
      }),
    ).toThrow('changed my mind');
    expect(qm.closed).toBe(false);
    expect(lib.keys).toEqual(new Set([QM_KEY]));
    engine.close();
    expect(lib.keys.size).toBe(0);
  });

  it('refuses an asynchronous callback and aborts', () => {
    const engine = openWfpEngine({ library: lib });
    expect(() => engine.transaction(async () => engine.addPolicy(QM))).toThrow(
      expect.objectContaining({
        code: 'ERR_WSASEC_INVALID_ARGUMENT',
        message: expect.stringMatching(/synchronous/),
      }),
    );
    expect(lib.keys.size).toBe(0);
    engine.close();
  });
});

describe('bad input: SecureSocketError saying what is accepted, nothing sent to WFP', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', 'qm', /must be an object/],
    ['bad key', { ...QM, key: 'nope' }, /GUID/],
    ['zero key', { ...QM, key: '00000000-0000-0000-0000-000000000000' }, /non-zero GUID/],
    ['built-in key', { ...QM, key: '8c2d4144-f8e0-42c0-94ce-7ccfc63b2f9b' }, /built-in/],
    ['unknown mode', { key: QM_KEY, mode: 'aggressive' }, /'main' or 'quick'/],
    ['unknown protection', { ...QM, protection: 'fast' }, /'integrity' or 'encryption'/],
    ['unknown field', { ...QM, pfs: true }, /accepted: key, mode, protection, lifetime, default/],
    ['fractional seconds', { ...QM, lifetime: { seconds: 0.5 } }, /whole number of seconds/],
    ['bad bytes', { ...QM, lifetime: { bytes: -1 } }, /positive integer/],
    ['default policy', { ...QM, default: true }, /administrator/],
    ['bad authentication', { ...MM, authentication: ['user'] }, /\['machine'\] or \['machine', 'user'\]/],
  ];
  for (const [name, policy, message] of cases) {
    it(name, () => {
      const engine = openWfpEngine({ library: lib });
      let error: unknown;
      try {
        engine.addPolicies([MM, policy as WfpPolicy]);
      } catch (e) {
        error = e;
      }
      expect(SecureSocketError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'ERR_WSASEC_INVALID_ARGUMENT',
        message: expect.stringMatching(message),
      });
      expect(fns()).toEqual(['FwpmEngineOpen0']);
      engine.close();
    });
  }

  it('a key repeated in one batch', () => {
    const engine = openWfpEngine({ library: lib });
    expect(() => engine.addPolicies([QM, { ...QM, protection: 'integrity' }])).toThrow(/appears twice/);
    expect(fns()).toEqual(['FwpmEngineOpen0']);
    engine.close();
  });

  it('bad engine options', () => {
    expect(() => openWfpEngine({ library: lib, txnWaitTimeoutMs: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT' }),
    );
    expect(() => openWfpEngine({ library: lib, sessionName: '' })).toThrow(/non-empty string/);
    expect(lib.calls).toEqual([]);
  });
});

describe('error mapping', () => {
  it.each([
    [5, 'WSAEACCES', /administrator/],
    [1753, 'ERR_WSASEC_POLICY_STORE', /EPT_S_NOT_REGISTERED/],
    [0x80320012, 'WSAETIMEDOUT', /FWP_E_TIMEOUT/],
    [0x803200ff, 'ERR_WSASEC_POLICY_STORE', /FWP_E 0x803200ff/],
    [12345, 'ERR_WSASEC_INTERNAL', /error 0x00003039/],
  ] as const)('FwpmEngineOpen0 status %s is %s', (status, code, message) => {
    lib.fail('FwpmEngineOpen0', status);
    expect(() => openWfpEngine({ library: lib })).toThrow(
      expect.objectContaining({
        code,
        errno: status,
        syscall: 'FwpmEngineOpen0',
        message: expect.stringMatching(message),
      }),
    );
  });

  it('a closed engine refuses further use', () => {
    const engine = openWfpEngine({ library: lib });
    engine.close();
    expect(() => engine.addPolicy(QM)).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_POLICY_STORE', message: expect.stringMatching(/closed/) }),
    );
  });
});

describe('main-mode SA lookup (IkeextSaGetById0)', () => {
  const sa = () => {
    const b = Buffer.alloc(WFP_STRUCT_LAYOUTS.IKEEXT_SA_DETAILS0.size);
    const D = WFP_STRUCT_LAYOUTS.IKEEXT_SA_DETAILS0.offsets;
    b.writeBigUInt64LE(0x1122334455667788n, D.saId);
    b.writeUInt32LE(1, D.keyModuleType); // AUTHIP
    b.writeUInt32LE(0, D.ipVersion);
    b.writeUInt32LE(0x7f000001, D.ikeTraffic + 4);
    b.writeUInt32LE(0x0a000002, D.ikeTraffic + 20);
    b.writeUInt32LE(4, D.ikeProposal); // AES-256
    b.writeUInt32LE(2, D.ikeProposal + 12); // SHA-256
    b.writeUInt32LE(28800, D.ikeProposal + 16);
    b.writeUInt32LE(4, D.ikeProposal + 20); // ECP-256
    writeGuid(b, D.ikePolicyKey, MM.key);
    return b;
  };

  it('decodes the SA and frees the memory WFP returned', () => {
    lib.sas.set(0x1122334455667788n, sa());
    const engine = openWfpEngine({ library: lib });
    expect(engine.mainModeSa(0x1122334455667788n)).toEqual({
      saId: 0x1122334455667788n,
      keyModule: 'authip',
      ipVersion: 4,
      localAddress: '127.0.0.1',
      remoteAddress: '10.0.0.2',
      cipher: 4,
      integrity: 2,
      dhGroup: 4,
      maxLifetimeSeconds: 28800,
      policyKey: MM.key,
    });
    expect(lib.allocated.size).toBe(0);
    expect(lib.callsOf('FwpmFreeMemory0')).toHaveLength(1);
    engine.close();
  });

  it('an unknown id is WSAEINVAL, a bad one ERR_WSASEC_INVALID_ARGUMENT, and nothing is freed', () => {
    const engine = openWfpEngine({ library: lib });
    expect(() => engine.mainModeSa(42n)).toThrow(
      expect.objectContaining({ code: 'WSAEINVAL', errno: 0x80320008, syscall: 'IkeextSaGetById0' }),
    );
    expect(() => engine.mainModeSa(42 as unknown as bigint)).toThrow(
      expect.objectContaining({
        code: 'ERR_WSASEC_INVALID_ARGUMENT',
        message: expect.stringMatching(/mmSaId/),
      }),
    );
    expect(lib.callsOf('FwpmFreeMemory0')).toEqual([]);
    engine.close();
  });
});

describe('quick-mode SA lookup (IPsecSaContextEnum0, IPsecSaContextGetById0)', () => {
  const details = sampleSaDetails;
  const context = sampleSaContext;
  /** The calls of one whole enumeration, everything released. */
  const ENUMERATION = [
    'IPsecSaContextCreateEnumHandle0',
    'IPsecSaContextEnum0',
    'FwpmFreeMemory0',
    'IPsecSaContextDestroyEnumHandle0',
  ];
  const info = { mmSaId: 0x1122334455667788n, qmSaId: 42n };
  const socket = { localAddress: '127.0.0.1', remoteAddress: '10.0.0.2', remotePort: 27015 };
  const sequence = () => fns().filter((f) => f.startsWith('IPsecSa') || f === 'FwpmFreeMemory0');

  it('enumerates the address pair, keeps the SAs of the query and the remote port, and frees everything once', () => {
    const mine = context(9001n);
    lib.qmSas.push(
      mine,
      context(9002n, { qmSaId: 43 }), // another connection's SA under the same main-mode SA
      context(9003n, { traffic: { ...details('outbound').traffic, remotePort: 80 } }),
      context(9004n, { traffic: { ...details('outbound').traffic, remoteAddress: '10.0.0.9' } }),
    );
    const engine = openWfpEngine({ library: lib });
    expect(engine.quickModeSas(info, socket)).toEqual([mine]);
    expect(lib.callsOf('IPsecSaContextCreateEnumHandle0')[0]?.template).toEqual({
      localAddress: '127.0.0.1',
      remoteAddress: '10.0.0.2',
    });
    expect(lib.callsOf('IPsecSaContextEnum0')[0]).toMatchObject({
      enumHandle: 0x900,
      requested: 0xffff_ffff,
    });
    expect(sequence()).toEqual(ENUMERATION);
    expect(lib.allocated.size).toBe(0);
    expect(lib.openEnums.size).toBe(0);
    // { mmSaId } alone matches on the main-mode SA (both connections'), any remote port without one.
    expect(engine.quickModeSas({ mmSaId: info.mmSaId }, { ...socket, remotePort: undefined })).toHaveLength(
      3,
    );
    engine.close();
  });

  it('sends IPv6 pairs as FWP_BYTE_ARRAY16_TYPE and decodes IPv6 traffic', () => {
    const v6 = context(7n, {
      ipVersion: 6,
      traffic: { ...details('outbound').traffic, localAddress: 'fe80::1', remoteAddress: '2001:db8::2' },
    });
    lib.qmSas.push(v6);
    const engine = openWfpEngine({ library: lib });
    expect(engine.quickModeSas(info, { localAddress: 'fe80::1', remoteAddress: '2001:db8::2' })).toEqual([
      v6,
    ]);
    expect(lib.callsOf('IPsecSaContextCreateEnumHandle0')[0]?.template).toEqual({
      localAddress: 'fe80::1',
      remoteAddress: '2001:db8::2',
    });
    engine.close();
  });

  it('a clear-text connection (ids 0) has no SA and asks WFP nothing; no match is []', () => {
    const engine = openWfpEngine({ library: lib });
    expect(engine.quickModeSas({ mmSaId: 0n, qmSaId: 0n }, socket)).toEqual([]);
    expect(sequence()).toEqual([]);
    expect(engine.quickModeSas(info, socket)).toEqual([]);
    expect(sequence()).toEqual(ENUMERATION);
    engine.close();
  });

  it('refuses bad input with ERR_WSASEC_INVALID_ARGUMENT saying what is accepted, before any call', () => {
    const engine = openWfpEngine({ library: lib });
    const bad = (fn: () => unknown, message: RegExp) =>
      expect(fn).toThrow(
        expect.objectContaining({
          code: 'ERR_WSASEC_INVALID_ARGUMENT',
          message: expect.stringMatching(message),
        }),
      );
    const anyEngine = engine as unknown as {
      quickModeSas(a: unknown, b: unknown): unknown;
      quickModeSa(a: unknown): unknown;
    };
    bad(() => anyEngine.quickModeSas(undefined, socket), /IPSEC2 query/);
    bad(() => anyEngine.quickModeSas({ protocol: 'ipsec' }, socket), /neither mmSaId nor qmSaId/);
    bad(() => anyEngine.quickModeSas({ mmSaId: 5 }, socket), /mmSaId must be a 64-bit bigint/);
    bad(() => anyEngine.quickModeSas({ qmSaId: -1n }, socket), /qmSaId must be a 64-bit bigint/);
    bad(() => anyEngine.quickModeSas(info, undefined), /connected socket/);
    bad(
      () => anyEngine.quickModeSas(info, { localAddress: '127.0.0.1', remoteAddress: '::1' }),
      /one family/,
    );
    bad(
      () => anyEngine.quickModeSas(info, { localAddress: 'server', remoteAddress: '10.0.0.2' }),
      /IP literals/,
    );
    bad(() => anyEngine.quickModeSas(info, { ...socket, remotePort: 70000 }), /port number/);
    bad(() => anyEngine.quickModeSa(5), /positive 64-bit bigint \(saContextId\)/);
    bad(() => anyEngine.quickModeSa(0n), /saContextId/);
    expect(sequence()).toEqual([]);
    engine.close();
    expect(() => engine.quickModeSas(info, socket)).toThrow(
      expect.objectContaining({ code: 'ERR_WSASEC_POLICY_STORE', message: expect.stringMatching(/closed/) }),
    );
  });

  it('maps WFP errors and releases exactly what was acquired on each failing step', () => {
    lib.qmSas.push(context(9001n));
    const engine = openWfpEngine({ library: lib });
    lib.fail('IPsecSaContextCreateEnumHandle0', 5);
    expect(() => engine.quickModeSas(info, socket)).toThrow(
      expect.objectContaining({
        code: 'WSAEACCES',
        errno: 5,
        syscall: 'IPsecSaContextCreateEnumHandle0',
        message: expect.stringMatching(/reading IPsec SAs needs administrator rights/),
      }),
    );
    expect(sequence()).toEqual(['IPsecSaContextCreateEnumHandle0']);
    lib.calls.length = 0;
    lib.fail('IPsecSaContextEnum0', 0x80320012); // FWP_E_TIMEOUT
    expect(() => engine.quickModeSas(info, socket)).toThrow(
      expect.objectContaining({ code: 'WSAETIMEDOUT', errno: 0x80320012, syscall: 'IPsecSaContextEnum0' }),
    );
    expect(sequence()).toEqual([
      'IPsecSaContextCreateEnumHandle0',
      'IPsecSaContextEnum0',
      'IPsecSaContextDestroyEnumHandle0',
    ]);
    lib.calls.length = 0;
    lib.fail('IPsecSaContextDestroyEnumHandle0', 0x80320010); // FWP_E_SESSION_ABORTED
    expect(() => engine.quickModeSas(info, socket)).toThrow(
      expect.objectContaining({
        code: 'ERR_WSASEC_POLICY_STORE',
        syscall: 'IPsecSaContextDestroyEnumHandle0',
      }),
    );
    expect(lib.callsOf('FwpmFreeMemory0')).toHaveLength(1);
    expect(lib.allocated.size).toBe(0);
    expect(lib.openEnums.size).toBe(0);
    engine.close();
  });

  it('memory that cannot be an IPSEC_SA_CONTEXT0 is ERR_WSASEC_INTERNAL, still freed once with the handle destroyed', () => {
    const broken = context(9001n);
    lib.qmSas.push({
      ...broken,
      outboundSa: {
        ...(broken.outboundSa as WfpIpsecSaDetails),
        saList: Array(17).fill(broken.outboundSa?.saList[0]),
      },
    });
    const engine = openWfpEngine({ library: lib });
    expect(() => engine.quickModeSas(info, socket)).toThrow(
      expect.objectContaining({
        code: 'ERR_WSASEC_INTERNAL',
        message: expect.stringMatching(/numSAs is 17/),
      }),
    );
    expect(sequence()).toEqual(ENUMERATION);
    expect(lib.allocated.size).toBe(0);
    expect(lib.openEnums.size).toBe(0);
    lib.calls.length = 0;
    expect(() => engine.quickModeSa(9001n)).toThrow(expect.objectContaining({ code: 'ERR_WSASEC_INTERNAL' }));
    expect(sequence()).toEqual(['IPsecSaContextGetById0', 'FwpmFreeMemory0']);
    expect(lib.allocated.size).toBe(0);
    engine.close();
  });

  it('quickModeSa(id) decodes one context by saContextId and frees it; an unknown id is WSAEINVAL', () => {
    const esp = context(9001n, {
      saList: [
        {
          spi: 1,
          saTransformType: WFP_CONSTANTS.IPSEC_TRANSFORM_ESP_AUTH,
          auth: { authType: WFP_CONSTANTS.IPSEC_AUTH_AES_256, authConfig: 5 },
          cipher: undefined,
        },
        {
          spi: 2,
          saTransformType: WFP_CONSTANTS.IPSEC_TRANSFORM_AH,
          auth: { authType: 2, authConfig: 2 },
          cipher: undefined,
        },
        {
          spi: 3,
          saTransformType: WFP_CONSTANTS.IPSEC_TRANSFORM_ESP_CIPHER,
          auth: undefined,
          cipher: { cipherType: 3, cipherConfig: 3 },
        },
      ],
    });
    lib.qmSas.push(esp, { saContextId: 9002n, inboundSa: undefined, outboundSa: undefined });
    const engine = openWfpEngine({ library: lib });
    expect(engine.quickModeSa(9001n)).toEqual(esp);
    expect(engine.quickModeSa(9002n)).toEqual({
      saContextId: 9002n,
      inboundSa: undefined,
      outboundSa: undefined,
    });
    expect(lib.callsOf('FwpmFreeMemory0')).toHaveLength(2);
    expect(lib.allocated.size).toBe(0);
    expect(() => engine.quickModeSa(42n)).toThrow(
      expect.objectContaining({ code: 'WSAEINVAL', errno: 0x80320008, syscall: 'IPsecSaContextGetById0' }),
    );
    expect(lib.callsOf('FwpmFreeMemory0')).toHaveLength(2);
    engine.close();
  });
});
