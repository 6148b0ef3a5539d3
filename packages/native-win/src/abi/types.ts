import type { TypeObject } from 'koffi';
import { type Koffi, loadKoffi } from '../library/koffi.js';

/** The koffi types of the secure socket structures, named as in C. */
export interface AbiTypes {
  GUID: TypeObject;
  SOCKADDR_STORAGE: TypeObject;
  sockaddr_in: TypeObject;
  sockaddr_in6: TypeObject;
  WSAOVERLAPPED: TypeObject;
  SOCKET_SECURITY_SETTINGS: TypeObject;
  SOCKET_SECURITY_SETTINGS_IPSEC: TypeObject;
  SOCKET_PEER_TARGET_NAME: TypeObject;
  SOCKET_SECURITY_QUERY_TEMPLATE: TypeObject;
  SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2: TypeObject;
  SOCKET_SECURITY_QUERY_INFO: TypeObject;
  SOCKET_SECURITY_QUERY_INFO_IPSEC2: TypeObject;
}

type StructDef = Record<string, string | TypeObject>;

let cached: AbiTypes | undefined;

/**
 * Defines (once per process) the koffi struct types with fixed-width fields only. The flexible
 * `AllStrings` members cannot be koffi fields; they start right after the last fixed field
 * (`STRUCT_LAYOUTS.*.offsets.AllStrings`), which the ABI test checks against the headers.
 */
export function abiTypes(koffi: Koffi = loadKoffi()): AbiTypes {
  if (cached) return cached;
  const struct = (name: string, def: StructDef): TypeObject => {
    try {
      return koffi.struct(name, def);
    } catch {
      // Another copy of this package (or the application) already owns the name.
      return koffi.struct(def);
    }
  };
  const u8 = (n: number) => koffi.array('uint8_t', n);
  const GUID = struct('GUID', { Data1: 'uint32_t', Data2: 'uint16_t', Data3: 'uint16_t', Data4: u8(8) });
  const SOCKADDR_STORAGE = struct('SOCKADDR_STORAGE', {
    ss_family: 'uint16_t',
    __ss_pad1: u8(6),
    __ss_align: 'int64_t',
    __ss_pad2: u8(112),
  });
  // in_addr is a union with a ULONG member, hence 4-byte alignment.
  const sockaddr_in = struct('sockaddr_in', {
    sin_family: 'uint16_t',
    sin_port: 'uint16_t',
    sin_addr: 'uint32_t',
    sin_zero: u8(8),
  });
  const sockaddr_in6 = struct('sockaddr_in6', {
    sin6_family: 'uint16_t',
    sin6_port: 'uint16_t',
    sin6_flowinfo: 'uint32_t',
    sin6_addr: koffi.array('uint16_t', 8),
    sin6_scope_id: 'uint32_t',
  });
  const WSAOVERLAPPED = struct('WSAOVERLAPPED', {
    Internal: 'uint64_t',
    InternalHigh: 'uint64_t',
    Offset: 'uint32_t',
    OffsetHigh: 'uint32_t',
    hEvent: 'uint64_t',
  });
  const SOCKET_SECURITY_SETTINGS = struct('SOCKET_SECURITY_SETTINGS', {
    SecurityProtocol: 'int32_t',
    SecurityFlags: 'uint32_t',
  });
  const SOCKET_SECURITY_SETTINGS_IPSEC = struct('SOCKET_SECURITY_SETTINGS_IPSEC', {
    SecurityProtocol: 'int32_t',
    SecurityFlags: 'uint32_t',
    IpsecFlags: 'uint32_t',
    AuthipMMPolicyKey: GUID,
    AuthipQMPolicyKey: GUID,
    Reserved: GUID,
    Reserved2: 'uint64_t',
    UserNameStringLen: 'uint32_t',
    DomainNameStringLen: 'uint32_t',
    PasswordStringLen: 'uint32_t',
  });
  const SOCKET_PEER_TARGET_NAME = struct('SOCKET_PEER_TARGET_NAME', {
    SecurityProtocol: 'int32_t',
    PeerAddress: SOCKADDR_STORAGE,
    PeerTargetNameStringLen: 'uint32_t',
  });
  const SOCKET_SECURITY_QUERY_TEMPLATE = struct('SOCKET_SECURITY_QUERY_TEMPLATE', {
    SecurityProtocol: 'int32_t',
    PeerAddress: SOCKADDR_STORAGE,
    PeerTokenAccessMask: 'uint32_t',
  });
  const SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2 = struct('SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2', {
    SecurityProtocol: 'int32_t',
    PeerAddress: SOCKADDR_STORAGE,
    PeerTokenAccessMask: 'uint32_t',
    Flags: 'uint32_t',
    FieldMask: 'uint32_t',
  });
  const SOCKET_SECURITY_QUERY_INFO = struct('SOCKET_SECURITY_QUERY_INFO', {
    SecurityProtocol: 'int32_t',
    Flags: 'uint32_t',
    PeerApplicationAccessTokenHandle: 'uint64_t',
    PeerMachineAccessTokenHandle: 'uint64_t',
  });
  const SOCKET_SECURITY_QUERY_INFO_IPSEC2 = struct('SOCKET_SECURITY_QUERY_INFO_IPSEC2', {
    SecurityProtocol: 'int32_t',
    Flags: 'uint32_t',
    PeerApplicationAccessTokenHandle: 'uint64_t',
    PeerMachineAccessTokenHandle: 'uint64_t',
    MmSaId: 'uint64_t',
    QmSaId: 'uint64_t',
    NegotiationWinerr: 'uint32_t',
    SaLookupContext: GUID,
  });
  cached = {
    GUID,
    SOCKADDR_STORAGE,
    sockaddr_in,
    sockaddr_in6,
    WSAOVERLAPPED,
    SOCKET_SECURITY_SETTINGS,
    SOCKET_SECURITY_SETTINGS_IPSEC,
    SOCKET_PEER_TARGET_NAME,
    SOCKET_SECURITY_QUERY_TEMPLATE,
    SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2,
    SOCKET_SECURITY_QUERY_INFO,
    SOCKET_SECURITY_QUERY_INFO_IPSEC2,
  };
  return cached;
}
