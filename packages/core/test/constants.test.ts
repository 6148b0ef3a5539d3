import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';

// A copy of spec/struct-layout-x64.txt: values compiled with x86_64-w64-mingw32-gcc against the
// mingw-w64 headers (the two IPSEC2 structs and Windows 7 flags transcribed from mstcpip.h).
const layout = readFileSync(new URL('./fixtures/struct-layout-x64.txt', import.meta.url), 'utf8');

const constants = new Map<string, bigint>();
const sizes = new Map<string, number>();
for (const line of layout.split('\n')) {
  const constant = /^([A-Z][A-Z0-9_]*) = (-?\d+) \(0x[0-9A-F]+\)$/.exec(line);
  if (constant) constants.set((constant[1] as string).replace(/^SDK_/, ''), BigInt(constant[2] as string));
  const size = /^sizeof\(([A-Z][A-Z0-9_]*)\) = (\d+) /.exec(line);
  if (size) sizes.set((size[1] as string).replace(/^SDK_/, ''), Number(size[2]));
}

// In the file but deliberately not exported: IOCTL building blocks and a winerror.h alias.
const NOT_EXPORTED = ['IOC_VENDOR', 'IOC_IN', 'IOC_OUT', 'IOC_INOUT', 'ERROR_IO_PENDING'];

const exported = core as unknown as Record<string, unknown>;

function asBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  throw new Error(`not a number: ${String(value)}`);
}

describe('constants against struct-layout-x64.txt', () => {
  it('parses the layout file (a guard against a silently empty comparison)', () => {
    expect(constants.size).toBe(73);
    expect(sizes.size).toBeGreaterThanOrEqual(15);
  });

  it.each([...constants.keys()].filter((name) => !NOT_EXPORTED.includes(name)))('%s matches', (name) => {
    expect(name in exported, `${name} is exported by @wsasec/core`).toBe(true);
    const value = asBigInt(exported[name]);
    const expected = constants.get(name) as bigint;
    // INVALID_SOCKET is ~0 of a 64-bit SOCKET; the file prints it signed.
    expect(name === 'INVALID_SOCKET' ? BigInt.asUintN(64, expected) : expected).toBe(value);
  });

  it('the constants left out are really not exported', () => {
    for (const name of NOT_EXPORTED) {
      expect(constants.has(name), `${name} is in the file`).toBe(true);
      expect(name in exported, `${name} is not exported`).toBe(false);
    }
  });

  it('every SIZEOF_* export matches the compiled sizeof', () => {
    const sizeofs = Object.keys(exported).filter((k) => k.startsWith('SIZEOF_'));
    expect(sizeofs.length).toBe(8);
    for (const key of sizeofs) {
      const struct = key.slice('SIZEOF_'.length);
      expect(sizes.get(struct), `sizeof(${struct}) in the file`).toBe(exported[key]);
    }
  });
});

describe('constants from the spec tables and the Windows headers', () => {
  it('AF_INET6 is the Windows value 23, not Linux 10', () => {
    expect(core.AF_INET6).toBe(23);
    expect(core.AF_INET).toBe(2);
  });

  it('IpsecFlags and SecurityFlags overlap in value, as mstcpip.h warns', () => {
    expect(core.SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION).toBe(
      core.SOCKET_SETTINGS_GUARANTEE_ENCRYPTION,
    );
    expect(core.SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION).toBe(
      core.SOCKET_SETTINGS_ALLOW_INSECURE,
    );
  });

  it('Winsock error codes (winsock2.h)', () => {
    const expected: Record<string, number> = {
      WSA_NOT_ENOUGH_MEMORY: 8,
      WSA_INVALID_PARAMETER: 87,
      WSA_IO_PENDING: 997,
      WSAEACCES: 10013,
      WSAEFAULT: 10014,
      WSAEINVAL: 10022,
      WSAEWOULDBLOCK: 10035,
      WSAEALREADY: 10037,
      WSAENOTSOCK: 10038,
      WSAEMSGSIZE: 10040,
      WSAEOPNOTSUPP: 10045,
      WSAEAFNOSUPPORT: 10047,
      WSAEADDRINUSE: 10048,
      WSAEADDRNOTAVAIL: 10049,
      WSAENETUNREACH: 10051,
      WSAECONNABORTED: 10053,
      WSAECONNRESET: 10054,
      WSAEISCONN: 10056,
      WSAENOTCONN: 10057,
      WSAESHUTDOWN: 10058,
      WSAETIMEDOUT: 10060,
      WSAECONNREFUSED: 10061,
      WSAEHOSTUNREACH: 10065,
      WSANOTINITIALISED: 10093,
      WSASYSCALLFAILURE: 10107,
      WSAHOST_NOT_FOUND: 11001,
    };
    expect({ ...core.WSA_ERRORS }).toEqual(expected);
    for (const [name, value] of Object.entries(expected)) expect(exported[name], name).toBe(value);
  });

  it('IKE negotiation errors (winerror.h)', () => {
    const expected: Record<string, number> = {
      ERROR_IPSEC_IKE_NEG_STATUS_BEGIN: 13800,
      ERROR_IPSEC_IKE_AUTH_FAIL: 13801,
      ERROR_IPSEC_IKE_ATTRIB_FAIL: 13802,
      ERROR_IPSEC_IKE_NEGOTIATION_PENDING: 13803,
      ERROR_IPSEC_IKE_GENERAL_PROCESSING_ERROR: 13804,
      ERROR_IPSEC_IKE_TIMED_OUT: 13805,
      ERROR_IPSEC_IKE_NO_CERT: 13806,
      ERROR_IPSEC_IKE_SA_DELETED: 13807,
      ERROR_IPSEC_IKE_SA_REAPED: 13808,
      ERROR_IPSEC_IKE_DROP_NO_RESPONSE: 13813,
      ERROR_IPSEC_IKE_ERROR: 13816,
      ERROR_IPSEC_IKE_DH_FAIL: 13822,
      ERROR_IPSEC_IKE_INVALID_HEADER: 13824,
      ERROR_IPSEC_IKE_NO_POLICY: 13825,
      ERROR_IPSEC_IKE_INVALID_SIGNATURE: 13826,
      ERROR_IPSEC_IKE_KERBEROS_ERROR: 13827,
      ERROR_IPSEC_IKE_NO_PUBLIC_KEY: 13828,
      ERROR_IPSEC_IKE_PROCESS_ERR: 13829,
      ERROR_IPSEC_IKE_INVALID_PAYLOAD: 13843,
      ERROR_IPSEC_IKE_INVALID_COOKIE: 13846,
      ERROR_IPSEC_IKE_NO_PEER_CERT: 13847,
      ERROR_IPSEC_IKE_DECRYPT: 13867,
      ERROR_IPSEC_IKE_POLICY_MATCH: 13868,
      ERROR_IPSEC_IKE_UNSUPPORTED_ID: 13869,
      ERROR_IPSEC_IKE_INVALID_SIG: 13875,
      ERROR_IPSEC_IKE_INVALID_MAJOR_VERSION: 13880,
      ERROR_IPSEC_IKE_QM_LIMIT: 13884,
      ERROR_IPSEC_IKE_MM_EXPIRED: 13885,
      ERROR_IPSEC_IKE_UNEXPECTED_MESSAGE_ID: 13888,
      ERROR_IPSEC_IKE_INVALID_AUTH_PAYLOAD: 13889,
      ERROR_IPSEC_IKE_QM_EXPIRED: 13895,
      ERROR_IPSEC_IKE_RATELIMIT_DROP: 13903,
      ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE: 13905,
    };
    expect({ ...core.IPSEC_IKE_ERRORS }).toEqual(expected);
    // Every ERROR_IPSEC_IKE_* exported by name agrees with the table.
    for (const [name, value] of Object.entries(exported)) {
      if (name.startsWith('ERROR_IPSEC_IKE_')) expect(expected[name], name).toBe(value);
    }
  });

  it('access rights (winnt.h)', () => {
    expect(core.DELETE).toBe(0x0001_0000);
    expect(core.READ_CONTROL).toBe(0x0002_0000);
    expect(core.WRITE_DAC).toBe(0x0004_0000);
    expect(core.WRITE_OWNER).toBe(0x0008_0000);
    expect(core.SYNCHRONIZE).toBe(0x0010_0000);
    expect(core.STANDARD_RIGHTS_REQUIRED).toBe(0x000f_0000);
    expect(core.STANDARD_RIGHTS_ALL).toBe(0x001f_0000);
    expect(core.ACCESS_SYSTEM_SECURITY).toBe(0x0100_0000);
    expect(core.GENERIC_ALL).toBe(0x1000_0000);
    expect(core.GENERIC_EXECUTE).toBe(0x2000_0000);
    expect(core.GENERIC_WRITE).toBe(0x4000_0000);
    expect(core.GENERIC_READ).toBe(0x8000_0000);
    expect(core.TOKEN_WRITE).toBe(0x0002_00e0);
    expect(core.TOKEN_EXECUTE).toBe(0x0002_0000);
  });

  it('file rights and the generic mapping (winnt.h)', () => {
    expect(core.FILE_GENERIC_READ).toBe(
      core.READ_CONTROL |
        core.FILE_READ_DATA |
        core.FILE_READ_ATTRIBUTES |
        core.FILE_READ_EA |
        core.SYNCHRONIZE,
    );
    expect(core.FILE_GENERIC_WRITE).toBe(
      core.READ_CONTROL |
        core.FILE_WRITE_DATA |
        core.FILE_WRITE_ATTRIBUTES |
        core.FILE_WRITE_EA |
        core.FILE_APPEND_DATA |
        core.SYNCHRONIZE,
    );
    expect(core.FILE_GENERIC_EXECUTE).toBe(
      core.READ_CONTROL | core.FILE_READ_ATTRIBUTES | core.FILE_EXECUTE | core.SYNCHRONIZE,
    );
    expect(core.FILE_ALL_ACCESS).toBe(core.STANDARD_RIGHTS_REQUIRED | core.SYNCHRONIZE | 0x1ff);
    expect(core.DEFAULT_GENERIC_MAPPING).toEqual({
      genericRead: 0x0012_0089,
      genericWrite: 0x0012_0116,
      genericExecute: 0x0012_00a0,
      genericAll: 0x001f_01ff,
    });
    expect(Object.isFrozen(core.DEFAULT_GENERIC_MAPPING)).toBe(true);
  });

  it('WFP GUIDs (spec §7.2, §7.3)', () => {
    expect(core.FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP).toBe('b25ea800-0d02-46ed-92bd-7fa84bb73e9d');
    expect(core.FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC).toBe('8c2d4144-f8e0-42c0-94ce-7ccfc63b2f9b');
    expect(core.FWPM_SUBLAYER_SECURE_SOCKET).toBe('15a66e17-3f3c-4f7b-aa6c-812aa613dd82');
    expect(core.FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT).toBe(3);
    expect(core.FWPM_IPSEC_AUTHIP_MM_CONTEXT).toBe(6);
  });

  it('TOKEN_READ and TOKEN_ALL_ACCESS are built from their parts', () => {
    expect(core.TOKEN_READ).toBe(core.STANDARD_RIGHTS_READ | core.TOKEN_QUERY);
    expect(core.TOKEN_ALL_ACCESS & core.TOKEN_QUERY).toBe(core.TOKEN_QUERY);
    expect(core.WSA_FLAG_NO_HANDLE_INHERIT).toBe(0x80);
  });
});
