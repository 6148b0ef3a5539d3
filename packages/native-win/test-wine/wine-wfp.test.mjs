// The WFP policy calls inside Windows Node: real koffi on Windows against the fwpuclnt.dll double,
// which records each call, copies each provider context by walking it with the mingw-w64 header
// types, and summarises its fields as C reads them. The bytes must equal the encoder's output
// relocated to the address the double saw.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { checkWfpPolicy, encodeProviderContext, encodeSaContextEnumTemplate, relocate } from '../dist/abi.js';
import { createNativeBackend, openWfpEngine } from '../dist/index.js';
import { double, peer } from './support.mjs';

const MM = { key: '3f2504e0-4f89-11d3-9a0c-0305e82c3301', mode: 'main', authentication: ['machine', 'user'] };
const QM = { key: '6f9619ff-8b86-d011-b42d-00c04fc964ff', mode: 'quick', protection: 'encryption' };
const QM_INTEGRITY = {
  key: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  mode: 'quick',
  protection: 'integrity',
  lifetime: { seconds: 600, bytes: 1_000_000 },
};
const FWP_E_ALREADY_EXISTS = 0x80320009;

const guidBytes = (key) => {
  const hex = key.replaceAll('-', '');
  const b = Buffer.from(hex, 'hex');
  const out = Buffer.alloc(16);
  out.writeUInt32LE(b.readUInt32BE(0), 0);
  out.writeUInt16LE(b.readUInt16BE(4), 4);
  out.writeUInt16LE(b.readUInt16BE(6), 6);
  b.copy(out, 8, 8);
  return out;
};

beforeEach(() => double.reset());

describe('WFP provider contexts on Windows Node', () => {
  it('opens a session, adds MM and QM policies in one transaction with byte-exact structures', () => {
    const engine = openWfpEngine({ sessionName: 'wsasec-wine', dynamic: true });
    const [mm, qm, qmi] = engine.addPolicies([MM, QM, QM_INTEGRITY]);
    const records = double.records();
    assert.deepEqual(
      records.map((r) => r.fn),
      [
        'FwpmEngineOpen0',
        'FwpmTransactionBegin0',
        'FwpmProviderContextAdd0',
        'FwpmProviderContextAdd0',
        'FwpmProviderContextAdd0',
        'FwpmTransactionCommit0',
      ],
    );
    const [open, , ...rest] = records;
    assert.equal(open.infoLen, 10, 'RPC_C_AUTHN_WINNT');
    assert.equal(open.summary, 'session name=wsasec-wine flags=1 txnwait=0 server=null identity=null');
    const adds = rest.slice(0, 3);
    const summaries = [
      'mm name=wsasec main-mode policy flags=0 soft=0 methods=1 m0=2 imp=1 proposals=1 cipher=4/0/0 int=2 life=28800 dh=4 qml=0 pflags=0 maxdyn=0',
      'qm name=wsasec quick-mode policy flags=0 proposals=1 life=3600/57671680/2147483647 transforms=1 pfs=0 esp-auth-cipher auth=5/5 cipher=5/8 pflags=4 nd=10 idle=300/60 em=0',
      'qm name=wsasec quick-mode policy flags=0 proposals=1 life=600/977/2147483647 transforms=1 pfs=0 esp-auth auth=5/5 pflags=4 nd=10 idle=300/60 em=0',
    ];
    for (const [i, [record, policy]] of [
      [adds[0], MM],
      [adds[1], QM],
      [adds[2], QM_INTEGRITY],
    ].entries()) {
      const checked = checkWfpPolicy(policy);
      const expected = relocate(
        encodeProviderContext(checked, `wsasec ${checked.mode}-mode policy`),
        BigInt(record.socket),
      );
      assert.equal(record.len, engine.handle);
      assert.equal(record.outside, false, 'every pointer stays inside the encoding');
      assert.equal(record.sdSet, false);
      assert.equal(record.bytes.toString('hex'), expected.toString('hex'));
      assert.equal(record.summary, summaries[i]);
    }
    assert.deepEqual([mm.id, qm.id, qmi.id, mm.mode, qm.mode], [1000n, 1001n, 1002n, 'main', 'quick']);
    assert.equal(double.wfpContexts(), 3);

    double.reset();
    mm.close();
    mm[Symbol.dispose]();
    engine.close();
    engine.close();
    const after = double.records();
    assert.deepEqual(
      after.map((r) => [r.fn, r.fn === 'FwpmEngineClose0' ? r.socket : r.bytes.toString('hex')]),
      [
        ['FwpmProviderContextDeleteByKey0', guidBytes(MM.key).toString('hex')],
        ['FwpmProviderContextDeleteByKey0', guidBytes(QM.key).toString('hex')],
        ['FwpmProviderContextDeleteByKey0', guidBytes(QM_INTEGRITY.key).toString('hex')],
        ['FwpmEngineClose0', engine.handle],
      ],
    );
    assert.equal(qm.closed && qmi.closed, true);
  });

  it('aborts the whole transaction when one add fails, leaving no provider context', () => {
    const engine = openWfpEngine();
    const first = engine.addPolicy(QM);
    assert.throws(
      () => engine.addPolicies([MM, QM]),
      (e) =>
        e.code === 'ERR_WSASEC_INVALID_ARGUMENT' &&
        e.errno === FWP_E_ALREADY_EXISTS &&
        e.syscall === 'FwpmProviderContextAdd0' &&
        /FWP_E_ALREADY_EXISTS/.test(e.message),
    );
    assert.deepEqual(
      double
        .records()
        .slice(-4)
        .map((r) => r.fn),
      [
        'FwpmTransactionBegin0',
        'FwpmProviderContextAdd0',
        'FwpmProviderContextAdd0',
        'FwpmTransactionAbort0',
      ],
    );
    assert.equal(double.wfpContexts(), 1, 'only the QM policy added before is left');
    assert.deepEqual(
      engine.contexts.map((c) => c.key),
      [QM.key],
    );
    engine.close();
    assert.equal(first.closed, true);
    assert.equal(double.wfpContexts(), 0);
  });

  it('maps FwpmEngineOpen0 access denied to WSAEACCES', () => {
    double.fail('FwpmEngineOpen0', 5);
    assert.throws(
      () => openWfpEngine(),
      (e) => e.code === 'WSAEACCES' && e.errno === 5 && e.syscall === 'FwpmEngineOpen0',
    );
  });

  it('rejects a bad description before any WFP call', () => {
    const engine = openWfpEngine();
    assert.throws(
      () => engine.addPolicy({ key: QM.key, mode: 'quick', protection: 'fast' }),
      (e) => e.code === 'ERR_WSASEC_INVALID_ARGUMENT' && /'integrity' or 'encryption'/.test(e.message),
    );
    assert.deepEqual(
      double.records().map((r) => r.fn),
      ['FwpmEngineOpen0'],
    );
    engine.close();
  });

  it('looks a main-mode SA up by id through real WFP-allocated memory and frees it', () => {
    const engine = openWfpEngine();
    const sa = engine.mainModeSa(0x0022334455667788n);
    assert.deepEqual(sa, {
      saId: 0x0022334455667788n,
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
    const records = double.records();
    // (the record's 64-bit slot comes back as a JS number: the id is kept below 2^53)
    const get = records.find((r) => r.fn === 'IkeextSaGetById0');
    assert.equal(BigInt(get.socket), 0x0022334455667788n);
    assert.deepEqual(
      records.slice(-2).map((r) => r.fn),
      ['IkeextSaGetById0', 'FwpmFreeMemory0'],
    );
    assert.equal(double.saLive(), 0);
    engine.close();
  });
});

describe('quick-mode SAs of a connected socket on Windows Node (MatchIPsecSAsForConnectedSocket)', () => {
  // What the double fills in, through the header's types, for a connection it saw queried.
  const direction = (saDirection, socket, spi) => ({
    ipVersion: 4,
    saDirection,
    traffic: {
      localAddress: socket.localAddress,
      remoteAddress: socket.remoteAddress,
      trafficType: 'transport',
      ipsecFilterId: 0x51n,
      remotePort: socket.remotePort,
    },
    flags: 0,
    lifetime: { seconds: 3600, kilobytes: 57671680, packets: 0x7fffffff },
    idleTimeoutSeconds: 300,
    ndAllowClearTimeoutSeconds: 10,
    qmSaId: 42,
    mmSaId: 0x1122334455667788n,
    pfsGroup: 0,
    saList: [
      {
        spi,
        saTransformType: 4, // IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER
        auth: { authType: 5, authConfig: 5 }, // IPSEC_AUTH_AES_256, GCM
        cipher: { cipherType: 5, cipherConfig: 8 }, // IPSEC_CIPHER_TYPE_AES_256, GCM
      },
    ],
  });

  async function connectedAndQueried(backend) {
    const socket = await backend.connect({
      host: '127.0.0.1',
      port: peer.echoPort,
      security: { protocol: 'ipsec2' },
      peerTargetName: 'host/linux.example.test',
    });
    const info = socket.querySecurity({ ipsec2: {} });
    info.close();
    return { socket, info };
  }

  it('sends the address pair byte-exact, decodes the SA WFP allocated, frees it and destroys the handle', async () => {
    const backend = createNativeBackend();
    const { socket, info } = await connectedAndQueried(backend);
    try {
      const engine = openWfpEngine();
      const before = double.records().length;
      const sas = engine.quickModeSas(info, socket);
      assert.deepEqual(sas, [
        {
          saContextId: 5000n,
          inboundSa: direction('inbound', socket, 0x2000),
          outboundSa: direction('outbound', socket, 0x1000),
        },
      ]);
      const records = double.records().slice(before);
      assert.deepEqual(
        records.map((r) => r.fn),
        [
          'IPsecSaContextCreateEnumHandle0',
          'IPsecSaContextEnum0',
          'FwpmFreeMemory0',
          'IPsecSaContextDestroyEnumHandle0',
        ],
      );
      const [create, enumerate, , destroy] = records;
      const expected = relocate(
        encodeSaContextEnumTemplate({
          localAddress: socket.localAddress,
          remoteAddress: socket.remoteAddress,
        }),
        BigInt(create.socket),
      );
      assert.equal(create.bytes.toString('hex'), expected.toString('hex'));
      assert.equal(create.summary, `qm-enum local=${socket.localAddress} remote=${socket.remoteAddress}`);
      assert.equal(create.len, engine.handle, 'the engine handle');
      assert.equal(enumerate.len, 0xffffffff, 'numEntriesRequested = UINT_MAX, as the sample');
      assert.equal(enumerate.summary, 'qm-enum returned=1');
      assert.equal(destroy.socket, enumerate.socket, 'the enumeration handle that was created');
      assert.equal(double.saLive(), 0);
      assert.equal(double.saEnums(), 0);

      // By saContextId (IPsecSaContextGetById0): the same context, freed.
      assert.deepEqual(engine.quickModeSa(5000n), sas[0]);
      assert.deepEqual(lastCalls(2), ['IPsecSaContextGetById0', 'FwpmFreeMemory0']);
      assert.equal(double.saLive(), 0);
      assert.throws(
        () => engine.quickModeSa(4999n),
        (e) => e.code === 'WSAEINVAL' && e.errno === 0x80320008 && e.syscall === 'IPsecSaContextGetById0',
      );
      // Another remote port's SAs are left out; ids of no SA give [].
      assert.deepEqual(engine.quickModeSas(info, { ...socketAddresses(socket), remotePort: 1 }), []);
      assert.deepEqual(engine.quickModeSas({ mmSaId: 7n }, socket), []);
      assert.equal(double.saLive(), 0);
      assert.equal(double.saEnums(), 0);
      engine.close();
    } finally {
      socket.destroy();
      await backend.close();
    }
  });

  it('maps an injected WFP error and still destroys the enumeration handle', async () => {
    const backend = createNativeBackend();
    const { socket, info } = await connectedAndQueried(backend);
    try {
      const engine = openWfpEngine();
      double.fail('IPsecSaContextEnum0', 5);
      assert.throws(
        () => engine.quickModeSas(info, socket),
        (e) =>
          e.code === 'WSAEACCES' &&
          e.errno === 5 &&
          e.syscall === 'IPsecSaContextEnum0' &&
          /administrator/.test(e.message),
      );
      assert.deepEqual(lastCalls(2), ['IPsecSaContextEnum0', 'IPsecSaContextDestroyEnumHandle0']);
      assert.equal(double.saEnums(), 0);
      assert.equal(double.saLive(), 0);
      engine.close();
    } finally {
      socket.destroy();
      await backend.close();
    }
  });
});

/** The functions of the last `n` calls the double recorded. */
function lastCalls(n) {
  return double
    .records()
    .slice(-n)
    .map((r) => r.fn);
}

function socketAddresses(socket) {
  return {
    localAddress: socket.localAddress,
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
  };
}

describe('backend.addPolicies on Windows Node (the advanced sample through the backend contract)', () => {
  it('adds byte-exact contexts in a dynamic session, one transaction, and deletes them on close()', async () => {
    const backend = createNativeBackend();
    const added = backend.addPolicies([MM, QM]);
    assert.deepEqual(added.keys, [MM.key, QM.key]);
    const records = double.records();
    assert.deepEqual(
      records.map((r) => r.fn),
      [
        'FwpmEngineOpen0',
        'FwpmTransactionBegin0',
        'FwpmProviderContextAdd0',
        'FwpmProviderContextAdd0',
        'FwpmTransactionCommit0',
      ],
    );
    assert.equal(records[0].summary, 'session name=wsasec flags=1 txnwait=0 server=null identity=null');
    for (const [record, policy] of [
      [records[2], MM],
      [records[3], QM],
    ]) {
      const checked = checkWfpPolicy(policy);
      const expected = relocate(
        encodeProviderContext(checked, `wsasec ${checked.mode}-mode policy`),
        BigInt(record.socket),
      );
      assert.equal(record.outside, false, 'every pointer stays inside the encoding');
      assert.equal(record.bytes.toString('hex'), expected.toString('hex'));
    }
    assert.equal(double.wfpContexts(), 2);

    const before = double.records().length;
    added.close();
    added.close();
    assert.deepEqual(
      double
        .records()
        .slice(before)
        .map((r) => [r.fn, r.fn === 'FwpmEngineClose0' ? 'engine' : r.bytes.toString('hex')]),
      [
        ['FwpmProviderContextDeleteByKey0', guidBytes(MM.key).toString('hex')],
        ['FwpmProviderContextDeleteByKey0', guidBytes(QM.key).toString('hex')],
        ['FwpmEngineClose0', 'engine'],
      ],
    );
    assert.equal(added.closed, true);
    await backend.close();
  });

  it("the backend's close() deletes what is still registered", async () => {
    const backend = createNativeBackend();
    backend.addPolicies([QM]);
    const before = double.records().length;
    await backend.close();
    assert.equal(double.wfpContexts(), 0);
    assert.deepEqual(
      double
        .records()
        .slice(before)
        .map((r) => r.fn),
      ['FwpmProviderContextDeleteByKey0', 'FwpmEngineClose0'],
    );
  });
});
