import { describe, expect, it } from 'vitest';
import {
  FILE_GENERIC_READ,
  GENERIC_READ,
  GENERIC_WRITE,
  MAXIMUM_ALLOWED,
  normalizeSecuritySettings,
  SecureSocketError,
  type SecuritySettings,
} from '../src/index.js';
import { type MemoryHost, negotiate } from '../src/testing/memory-network.js';
import { createMemoryRealm } from '../src/testing/memory-realm.js';
import { evaluateMemoryAccess, parseMemoryDacl } from '../src/testing/memory-sddl.js';

// The memory backend is a test double; these tests pin the model it claims in its doc comments,
// so that the conformance run against it means what it says.
const realm = createMemoryRealm({ passwords: { alice: 'right' } });
function host(name: string, extra: Partial<MemoryHost> = {}): MemoryHost {
  return {
    realm,
    machine: realm.machine(name),
    user: undefined,
    names: [`host/${name.toLowerCase()}.contoso.com`],
    ipsec: true,
    encryption: true,
    ...extra,
  };
}
const CLIENT = host('CLIENT', { user: realm.user('carol') });
const SERVER = host('SERVER');
const PLAIN = host('PLAIN', { ipsec: false });
const INTEGRITY_ONLY = host('OLD', { encryption: false });

function run(
  client: { host?: MemoryHost; settings?: SecuritySettings | null; name?: string },
  server: { host?: MemoryHost; settings?: SecuritySettings } = {},
) {
  return negotiate(
    {
      host: client.host ?? CLIENT,
      settings: client.settings === null ? undefined : normalizeSecuritySettings(client.settings),
      targetName: client.name,
    },
    { host: server.host ?? SERVER, settings: normalizeSecuritySettings(server.settings) },
  );
}

function outcome(result: ReturnType<typeof run>) {
  if (!result.ok) return { fails: result.client.code, serverSees: result.server !== undefined };
  return {
    secured: result.client.secured,
    encrypted: result.client.encrypted,
    same: result.server.secured === result.client.secured,
  };
}

describe('memory negotiation model', () => {
  it.each([
    ['default settings', {}, {}, { secured: true, encrypted: false, same: true }],
    [
      'client guarantee',
      { settings: { guaranteeEncryption: true } },
      {},
      { secured: true, encrypted: true, same: true },
    ],
    [
      'server guarantee',
      {},
      { settings: { guaranteeEncryption: true } },
      { secured: true, encrypted: true, same: true },
    ],
    [
      'allowInsecure, no IPsec at the peer',
      { settings: { allowInsecure: true } },
      { host: PLAIN },
      { secured: false, encrypted: false, same: true },
    ],
    [
      'no allowInsecure, no IPsec at the peer',
      {},
      { host: PLAIN },
      { fails: 'ERR_WSASEC_NEGOTIATION_FAILED', serverSees: false },
    ],
    [
      'guarantee wins over allowInsecure',
      { settings: { guaranteeEncryption: true, allowInsecure: true } },
      { host: PLAIN },
      { fails: 'ERR_WSASEC_NEGOTIATION_FAILED', serverSees: false },
    ],
    [
      'clear client, server allowInsecure',
      { settings: null },
      { settings: { allowInsecure: true } },
      { secured: false, encrypted: false, same: true },
    ],
    ['clear client, secured server', { settings: null }, {}, { fails: 'WSAECONNRESET', serverSees: true }],
    [
      'guarantee against integrity-only',
      { settings: { guaranteeEncryption: true } },
      { host: INTEGRITY_ONLY },
      { fails: 'ERR_WSASEC_NEGOTIATION_FAILED', serverSees: true },
    ],
    [
      'right target name',
      { name: 'host/server.contoso.com' },
      {},
      { secured: true, encrypted: false, same: true },
    ],
    [
      'target name in another case',
      { name: 'HOST/Server.Contoso.com' },
      {},
      { secured: true, encrypted: false, same: true },
    ],
    [
      'wrong target name',
      { name: 'host/other.contoso.com' },
      {},
      { fails: 'ERR_WSASEC_PEER_NAME_MISMATCH', serverSees: true },
    ],
    [
      'wrong name with allowInsecure',
      { name: 'host/other', settings: { allowInsecure: true } },
      {},
      { fails: 'ERR_WSASEC_PEER_NAME_MISMATCH', serverSees: true },
    ],
    [
      'wrong name, optional verification',
      { name: 'host/other', settings: { ipsec: { optionalPeerNameVerification: true } } },
      {},
      { secured: true, encrypted: false, same: true },
    ],
    [
      'raw format compares exactly',
      { name: 'HOST/server.contoso.com', settings: { ipsec: { peerNameIsRawFormat: true } } },
      {},
      { fails: 'ERR_WSASEC_PEER_NAME_MISMATCH', serverSees: true },
    ],
  ] as const)('%s', (_label, client, server, expected) => {
    expect(outcome(run(client as never, server as never))).toEqual(expected);
  });

  it('explicit credentials authenticate as their user, or fail with AUTH_FAIL', () => {
    const right = run({
      settings: { ipsec: { credentials: { user: 'CONTOSO\\alice', password: 'right' } } },
    });
    expect(right.ok && right.server.peer?.user?.name).toBe('alice');
    const wrong = run({ settings: { ipsec: { credentials: { user: 'alice', password: 'wrong' } } } });
    expect(!wrong.ok && wrong.client.negotiationError).toBe(13801);
    const otherDomain = run({
      settings: { ipsec: { credentials: { user: 'alice', domain: 'FABRIKAM', password: 'right' } } },
    });
    expect(otherDomain.ok).toBe(false);
  });

  it('each end sees the other: the server the client user and machine, the client the server machine', () => {
    const result = run({});
    if (!result.ok) throw new Error('expected a connection');
    expect(result.server.peer?.user?.name).toBe('carol');
    expect(result.server.peer?.machine.name).toBe('CLIENT$');
    expect(result.client.peer?.user).toBeUndefined();
    expect(result.client.peer?.machine.name).toBe('SERVER$');
    expect(result.client.mmSaId).not.toBe(result.server.mmSaId);
  });
});

describe('memory SDDL evaluator', () => {
  const sids = ['S-1-5-21-9-9-9-1001', 'S-1-1-0', 'S-1-5-11'];
  const check = (sddl: string, desired: number) =>
    evaluateMemoryAccess(parseMemoryDacl(sddl, 'S-1-5-21-9-9-9'), sids, desired);

  it('evaluates aliases, codes, hex and decimal rights', () => {
    expect(check('D:(A;;GR;;;WD)', GENERIC_READ)).toEqual({
      granted: true,
      grantedAccess: FILE_GENERIC_READ,
    });
    expect(check('D:(A;;0x120089;;;AU)', FILE_GENERIC_READ).granted).toBe(true);
    expect(check(`D:(A;;${FILE_GENERIC_READ};;;S-1-5-21-9-9-9-1001)`, GENERIC_READ).granted).toBe(true);
    expect(check('D:(A;;GR;;;DU)', GENERIC_READ).granted).toBe(false);
  });

  it('walks ACEs in order, skips inherit-only ACEs, and handles null and empty DACLs', () => {
    expect(check('D:(D;;GW;;;WD)(A;;GA;;;WD)', GENERIC_WRITE).granted).toBe(false);
    expect(check('D:(A;;GA;;;WD)(D;;GW;;;WD)', GENERIC_WRITE).granted).toBe(true);
    expect(check('D:(A;IO;GA;;;WD)', GENERIC_READ).granted).toBe(false);
    expect(check('O:BAG:BA', GENERIC_WRITE).granted).toBe(true);
    expect(check('D:', GENERIC_READ)).toEqual({ granted: false, grantedAccess: 0 });
    expect(check('D:PAI(A;OICI;FR;;;WD)', MAXIMUM_ALLOWED)).toEqual({
      granted: true,
      grantedAccess: FILE_GENERIC_READ,
    });
  });

  it.each([
    'X',
    'D:(A;;GA;;;WD',
    'D:(OA;;GA;;;WD)',
    'D:(A;XX;GA;;;WD)',
    'D:(A;;QQ;;;WD)',
    'D:(A;;GA;;;S-2-1)',
    'D:(A;;GA;guid;;WD)',
    'D:(A;;GA;;WD)',
    'D:D:',
  ])('refuses %j with WSAEINVAL', (sddl) => {
    let error: unknown;
    try {
      check(sddl, GENERIC_READ);
    } catch (e) {
      error = e;
    }
    expect(SecureSocketError.isInstance(error) && error.code).toBe('WSAEINVAL');
  });
});
