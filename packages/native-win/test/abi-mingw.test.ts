// The ABI test: compiles the mingw-w64 headers at test time and compares every size, alignment,
// field offset and field size of the exported koffi types (and of the layout table the encoders
// use) with what the C compiler says, plus the constants the backend hard-codes. The two IPSEC2
// structures and the Windows 7 IpsecFlags, which mingw-w64 lacks, are transcribed from the SDK's
// mstcpip.h. Values are read back from a dedicated section of the object file (objcopy), so
// nothing Windows has to run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@wsasec/core';
import koffi, { type TypeObject } from 'koffi';
import { afterAll, describe, expect, it } from 'vitest';
import { abiTypes, STRUCT_LAYOUTS, WFP_CONSTANTS, WFP_STRUCT_LAYOUTS } from '../src/abi.js';
import * as lib from '../src/library/library.js';
import { FWP_ERRORS, WFP_WIN32_ERRORS } from '../src/wfp/errors.js';
import { WFP_SDK_ONLY_CONSTANTS } from '../src/wfp/layout.js';

const gcc = 'x86_64-w64-mingw32-gcc';
const objcopy = 'x86_64-w64-mingw32-objcopy';
const haveMingw = spawnSync(gcc, ['--version']).status === 0;
const required = process.env.WSASEC_REQUIRE_MINGW === '1';

// C names of the structures where the koffi export name differs.
const C_NAME: Record<string, string> = {
  sockaddr_in: 'struct sockaddr_in',
  sockaddr_in6: 'struct sockaddr_in6',
  SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2: 'SDK_SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2',
  SOCKET_SECURITY_QUERY_INFO_IPSEC2: 'SDK_SOCKET_SECURITY_QUERY_INFO_IPSEC2',
};

const PRELUDE = `
#include <winsock2.h>
#include <windows.h>
#include <mstcpip.h>
#include <ws2tcpip.h>
#include <sddl.h>
#include <fwpmu.h>
#include <stddef.h>
/* Transcribed from the Windows SDK mstcpip.h (NTDDI_WIN7); mingw-w64 lacks them. */
typedef struct SDK_SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2 {
  SOCKET_SECURITY_PROTOCOL SecurityProtocol;
  SOCKADDR_STORAGE PeerAddress;
  ULONG PeerTokenAccessMask;
  ULONG Flags;
  ULONG FieldMask;
} SDK_SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2;
typedef struct SDK_SOCKET_SECURITY_QUERY_INFO_IPSEC2 {
  SOCKET_SECURITY_PROTOCOL SecurityProtocol;
  ULONG Flags;
  UINT64 PeerApplicationAccessTokenHandle;
  UINT64 PeerMachineAccessTokenHandle;
  UINT64 MmSaId;
  UINT64 QmSaId;
  UINT32 NegotiationWinerr;
  GUID SaLookupContext;
} SDK_SOCKET_SECURITY_QUERY_INFO_IPSEC2;
#define SDK_SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION 0x2
#define SDK_SOCKET_SETTINGS_IPSEC_ALLOW_FIRST_INBOUND_PKT_UNENCRYPTED 0x4
#define SDK_SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT 0x8
#define SDK_SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE 0x1
#define SDK_SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID 0x1
#define SDK_SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID 0x2
/* WFP values from the SDK (fwpmtypes.h, ipsectypes.h) that mingw-w64 lacks. */
#define SDK_FWPM_SESSION_FLAG_DYNAMIC 0x00000001
#define SDK_IPSEC_AUTH_CONFIG_GCM_AES_256 5
#define SDK_IPSEC_CIPHER_CONFIG_GCM_AES_256 8
#define SDK_IPSEC_POLICY_FLAG_ND_BOUNDARY 0x00000004
`;

interface Check {
  label: string;
  expr: string;
  /** What our side says (every entry must equal the C value). */
  ours: Record<string, number | bigint>;
}

function layoutChecks(): Check[] {
  const types = abiTypes() as unknown as Record<string, TypeObject>;
  const checks: Check[] = [];
  for (const [name, layout] of Object.entries(STRUCT_LAYOUTS)) {
    const c = C_NAME[name] ?? name;
    const t = types[name] as TypeObject;
    const info = koffi.type(t);
    checks.push({
      label: `sizeof(${name})`,
      expr: `sizeof(${c})`,
      ours: { layout: layout.size, koffi: koffi.sizeof(t) },
    });
    checks.push({
      label: `alignof(${name})`,
      expr: `_Alignof(${c})`,
      ours: { layout: layout.align, koffi: koffi.alignof(t) },
    });
    const members = Object.values(info.members ?? {});
    for (const [field, offset] of Object.entries(layout.offsets)) {
      const member = info.members?.[field];
      // A flexible array member is not a koffi field: it starts right after the last fixed field.
      const last = members[members.length - 1];
      const koffiOffset = member ? member.offset : (last?.offset ?? 0) + (last?.type.size ?? 0);
      checks.push({
        label: `offsetof(${name}, ${field})`,
        expr: `offsetof(${c}, ${field})`,
        ours: { layout: offset, koffi: koffiOffset },
      });
      if (member) {
        checks.push({
          label: `sizeof(${name}.${field})`,
          expr: `sizeof(((${c} *)0)->${field})`,
          ours: { koffi: member.type.size },
        });
      }
    }
  }
  return checks;
}

// The WFP structures have no koffi types: their encoders write at the layout table's offsets, so
// the table itself is what must match the headers (size, alignment, every field offset).
function wfpLayoutChecks(): Check[] {
  const checks: Check[] = [];
  for (const [name, layout] of Object.entries(WFP_STRUCT_LAYOUTS)) {
    checks.push({ label: `sizeof(${name})`, expr: `sizeof(${name})`, ours: { layout: layout.size } });
    checks.push({ label: `alignof(${name})`, expr: `_Alignof(${name})`, ours: { layout: layout.align } });
    for (const [field, offset] of Object.entries(layout.offsets)) {
      checks.push({
        label: `offsetof(${name}, ${field})`,
        expr: `offsetof(${name}, ${field})`,
        ours: { layout: offset },
      });
    }
  }
  return checks;
}

// WFP constants and the status values the error mapping knows (HRESULTs compared as UINT32).
function wfpConstantChecks(): Check[] {
  const sdkOnly = new Set<string>(WFP_SDK_ONLY_CONSTANTS);
  return [
    ...Object.entries(WFP_CONSTANTS).map(([n, v]) => ({
      label: n,
      expr: sdkOnly.has(n) ? `SDK_${n}` : n,
      ours: { wfp: v },
    })),
    ...Object.entries({ ...FWP_ERRORS, ...WFP_WIN32_ERRORS }).map(([n, [v]]) => ({
      label: n,
      expr: `(UINT32)(${n})`,
      ours: { errors: v },
    })),
  ];
}

// Constants the backend hard-codes (core's C-named constants and the library's Win32 values).
function constantChecks(): Check[] {
  const k = core as unknown as Record<string, number | bigint>;
  const same = (names: string[], sdk = false): Check[] =>
    names.map((n) => ({ label: n, expr: sdk ? `SDK_${n}` : n, ours: { core: k[n] as number } }));
  return [
    ...same([
      'SOCKET_SECURITY_PROTOCOL_DEFAULT',
      'SOCKET_SECURITY_PROTOCOL_IPSEC',
      'SOCKET_SECURITY_PROTOCOL_IPSEC2',
      'SOCKET_SECURITY_PROTOCOL_INVALID',
      'SOCKET_SETTINGS_GUARANTEE_ENCRYPTION',
      'SOCKET_SETTINGS_ALLOW_INSECURE',
      'SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION',
      'SOCKET_INFO_CONNECTION_SECURED',
      'SOCKET_INFO_CONNECTION_ENCRYPTED',
      'SOCKET_INFO_CONNECTION_IMPERSONATED',
      'AF_INET',
      'AF_INET6',
      'SOCK_STREAM',
      'SOCK_DGRAM',
      'IPPROTO_TCP',
      'IPPROTO_UDP',
      'SOL_SOCKET',
      'SO_EXCLUSIVEADDRUSE',
      'SOCKET_ERROR',
      'WSA_FLAG_OVERLAPPED',
      'WSA_FLAG_NO_HANDLE_INHERIT',
      'TOKEN_DUPLICATE',
      'TOKEN_IMPERSONATE',
      'TOKEN_QUERY',
      'TOKEN_READ',
      'TOKEN_ALL_ACCESS',
      'MAXIMUM_ALLOWED',
      'GENERIC_READ',
      'GENERIC_WRITE',
      'GENERIC_EXECUTE',
      'GENERIC_ALL',
      'FILE_GENERIC_READ',
      'FILE_GENERIC_WRITE',
      'FILE_GENERIC_EXECUTE',
      'FILE_ALL_ACCESS',
      'WSAEFAULT',
      'WSAEINVAL',
      'WSAEWOULDBLOCK',
      'WSAENOTSOCK',
      'WSAEMSGSIZE',
      'WSAEAFNOSUPPORT',
      'WSAECONNABORTED',
      'WSAECONNRESET',
      'WSAEISCONN',
      'WSAENOTCONN',
      'WSASYSCALLFAILURE',
    ]),
    ...same(
      [
        'SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION',
        'SOCKET_SETTINGS_IPSEC_ALLOW_FIRST_INBOUND_PKT_UNENCRYPTED',
        'SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT',
        'SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE',
        'SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID',
        'SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID',
      ],
      true,
    ),
    { label: 'INVALID_SOCKET', expr: 'INVALID_SOCKET', ours: { core: core.INVALID_SOCKET } },
    { label: 'TokenUser', expr: 'TokenUser', ours: { library: lib.TokenUser } },
    { label: 'TokenGroups', expr: 'TokenGroups', ours: { library: lib.TokenGroups } },
    {
      label: 'SecurityImpersonation',
      expr: 'SecurityImpersonation',
      ours: { library: lib.SecurityImpersonation },
    },
    { label: 'SDDL_REVISION_1', expr: 'SDDL_REVISION_1', ours: { library: lib.SDDL_REVISION_1 } },
    { label: 'SE_GROUP_ENABLED', expr: 'SE_GROUP_ENABLED', ours: { library: lib.SE_GROUP_ENABLED } },
    {
      label: 'ERROR_INSUFFICIENT_BUFFER',
      expr: 'ERROR_INSUFFICIENT_BUFFER',
      ours: { library: lib.ERROR_INSUFFICIENT_BUFFER },
    },
    { label: 'ERROR_NO_TOKEN', expr: 'ERROR_NO_TOKEN', ours: { library: lib.ERROR_NO_TOKEN } },
    { label: 'ERROR_NONE_MAPPED', expr: 'ERROR_NONE_MAPPED', ours: { library: lib.ERROR_NONE_MAPPED } },
    {
      label: 'ERROR_NO_IMPERSONATION_TOKEN',
      expr: 'ERROR_NO_IMPERSONATION_TOKEN',
      ours: { library: lib.ERROR_NO_IMPERSONATION_TOKEN },
    },
    // The token layouts the decoder reads by hand (src/access/tokens.ts).
    { label: 'sizeof(SID_AND_ATTRIBUTES)', expr: 'sizeof(SID_AND_ATTRIBUTES)', ours: { decoder: 16 } },
    {
      label: 'offsetof(SID_AND_ATTRIBUTES, Attributes)',
      expr: 'offsetof(SID_AND_ATTRIBUTES, Attributes)',
      ours: { decoder: 8 },
    },
    { label: 'offsetof(TOKEN_USER, User)', expr: 'offsetof(TOKEN_USER, User)', ours: { decoder: 0 } },
    { label: 'offsetof(TOKEN_GROUPS, Groups)', expr: 'offsetof(TOKEN_GROUPS, Groups)', ours: { decoder: 8 } },
    { label: 'sizeof(GENERIC_MAPPING)', expr: 'sizeof(GENERIC_MAPPING)', ours: { accessCheck: 16 } },
    {
      label: 'offsetof(GENERIC_MAPPING, GenericAll)',
      expr: 'offsetof(GENERIC_MAPPING, GenericAll)',
      ours: { accessCheck: 12 },
    },
    { label: 'sizeof(SOCKET)', expr: 'sizeof(SOCKET)', ours: { intptr_t: koffi.sizeof('intptr_t') } },
    { label: 'sizeof(HANDLE)', expr: 'sizeof(HANDLE)', ours: { intptr_t: koffi.sizeof('intptr_t') } },
    { label: 'sizeof(ULONG)', expr: 'sizeof(ULONG)', ours: { uint32_t: 4 } },
    { label: 'sizeof(wchar_t)', expr: 'sizeof(wchar_t)', ours: { char16_t: koffi.sizeof('char16_t') } },
    {
      label: 'sizeof(SOCKET_SECURITY_PROTOCOL)',
      expr: 'sizeof(SOCKET_SECURITY_PROTOCOL)',
      ours: { int32_t: 4 },
    },
  ];
}

/** Compiles the expressions and returns their values as signed 64-bit integers. */
function compile(checks: Check[], dir: string): bigint[] {
  const body = checks.map((c) => `  (unsigned long long)(long long)(${c.expr}), /* ${c.label} */`).join('\n');
  const source = `${PRELUDE}
__attribute__((used, section(".wsasec"))) const unsigned long long wsasec_values[] = {
${body}
};
`;
  writeFileSync(join(dir, 'abi.c'), source);
  execFileSync(gcc, ['-c', '-O0', '-Wall', '-Werror', '-o', join(dir, 'abi.o'), join(dir, 'abi.c')], {
    stdio: 'pipe',
  });
  execFileSync(objcopy, ['-O', 'binary', '--only-section=.wsasec', join(dir, 'abi.o'), join(dir, 'abi.bin')]);
  const bin = readFileSync(join(dir, 'abi.bin'));
  return checks.map((_, i) => bin.readBigInt64LE(i * 8));
}

const dir = mkdtempSync(join(tmpdir(), 'wsasec-abi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!haveMingw && !required)('ABI against the mingw-w64 headers', () => {
  it('mingw-w64 is installed (required for test:abi)', () => {
    expect(haveMingw, `${gcc} not found: apt-get install -y gcc-mingw-w64-x86-64 mingw-w64-x86-64-dev`).toBe(
      true,
    );
  });

  const checks = [...layoutChecks(), ...constantChecks(), ...wfpLayoutChecks(), ...wfpConstantChecks()];
  let values: bigint[] | undefined;
  const valuesOf = () => {
    values ??= compile(checks, dir);
    return values;
  };

  it(`compiles ${checks.length} layout and constant expressions`, () => {
    expect(valuesOf()).toHaveLength(checks.length);
    process.stdout.write(`[abi] layout checks: ${checks.length}\n`);
  });

  for (const [i, check] of checks.entries()) {
    it(check.label, () => {
      const c = valuesOf()[i] as bigint;
      for (const [who, value] of Object.entries(check.ours)) {
        expect(BigInt.asIntN(64, BigInt(value)), `${check.label}: ${who}`).toBe(c);
      }
    });
  }
});
