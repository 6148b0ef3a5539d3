/**
 * The Windows x64 layout of every structure the secure socket functions take, as sizes, alignments
 * and field offsets (spec/struct-layout-x64.txt). The encoders write at these offsets; the koffi
 * types in `types.ts` must produce the same numbers; the ABI test compares both with the
 * mingw-w64 headers compiled at test time.
 * @module
 */

/** Size, alignment and field offsets of one C structure. */
export interface StructLayout {
  readonly size: number;
  readonly align: number;
  readonly offsets: Readonly<Record<string, number>>;
}

const GUID_LAYOUT = { size: 16, align: 4, offsets: { Data1: 0, Data2: 4, Data3: 6, Data4: 8 } } as const;

const STORAGE_LAYOUT = {
  size: 128,
  align: 8,
  offsets: { ss_family: 0, __ss_pad1: 2, __ss_align: 8, __ss_pad2: 16 },
} as const;

/**
 * Every structure by its C name. `AllStrings` is a flexible array member: it starts 4 bytes before
 * `sizeof` (in the tail padding) for both string-carrying structures.
 */
export const STRUCT_LAYOUTS = {
  GUID: GUID_LAYOUT,
  SOCKADDR_STORAGE: STORAGE_LAYOUT,
  SOCKET_SECURITY_SETTINGS: { size: 8, align: 4, offsets: { SecurityProtocol: 0, SecurityFlags: 4 } },
  SOCKET_SECURITY_SETTINGS_IPSEC: {
    size: 88,
    align: 8,
    offsets: {
      SecurityProtocol: 0,
      SecurityFlags: 4,
      IpsecFlags: 8,
      AuthipMMPolicyKey: 12,
      AuthipQMPolicyKey: 28,
      Reserved: 44,
      Reserved2: 64,
      UserNameStringLen: 72,
      DomainNameStringLen: 76,
      PasswordStringLen: 80,
      AllStrings: 84,
    },
  },
  SOCKET_PEER_TARGET_NAME: {
    size: 144,
    align: 8,
    offsets: { SecurityProtocol: 0, PeerAddress: 8, PeerTargetNameStringLen: 136, AllStrings: 140 },
  },
  SOCKET_SECURITY_QUERY_TEMPLATE: {
    size: 144,
    align: 8,
    offsets: { SecurityProtocol: 0, PeerAddress: 8, PeerTokenAccessMask: 136 },
  },
  SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2: {
    size: 152,
    align: 8,
    offsets: { SecurityProtocol: 0, PeerAddress: 8, PeerTokenAccessMask: 136, Flags: 140, FieldMask: 144 },
  },
  SOCKET_SECURITY_QUERY_INFO: {
    size: 24,
    align: 8,
    offsets: {
      SecurityProtocol: 0,
      Flags: 4,
      PeerApplicationAccessTokenHandle: 8,
      PeerMachineAccessTokenHandle: 16,
    },
  },
  SOCKET_SECURITY_QUERY_INFO_IPSEC2: {
    size: 64,
    align: 8,
    offsets: {
      SecurityProtocol: 0,
      Flags: 4,
      PeerApplicationAccessTokenHandle: 8,
      PeerMachineAccessTokenHandle: 16,
      MmSaId: 24,
      QmSaId: 32,
      NegotiationWinerr: 40,
      SaLookupContext: 44,
    },
  },
  sockaddr_in: { size: 16, align: 4, offsets: { sin_family: 0, sin_port: 2, sin_addr: 4, sin_zero: 8 } },
  sockaddr_in6: {
    size: 28,
    align: 4,
    offsets: { sin6_family: 0, sin6_port: 2, sin6_flowinfo: 4, sin6_addr: 8, sin6_scope_id: 24 },
  },
  WSAOVERLAPPED: {
    size: 32,
    align: 8,
    offsets: { Internal: 0, InternalHigh: 8, Offset: 16, OffsetHigh: 20, hEvent: 24 },
  },
} as const satisfies Record<string, StructLayout>;

/** A structure name of {@link STRUCT_LAYOUTS}. */
export type StructName = keyof typeof STRUCT_LAYOUTS;

const S = STRUCT_LAYOUTS;

/** Field offsets used by the encoders, named `<STRUCT>_<Field>`. */
export const OFF = {
  SETTINGS_Protocol: S.SOCKET_SECURITY_SETTINGS.offsets.SecurityProtocol,
  SETTINGS_Flags: S.SOCKET_SECURITY_SETTINGS.offsets.SecurityFlags,
  IPSEC_IpsecFlags: S.SOCKET_SECURITY_SETTINGS_IPSEC.offsets.IpsecFlags,
  IPSEC_MM: S.SOCKET_SECURITY_SETTINGS_IPSEC.offsets.AuthipMMPolicyKey,
  IPSEC_QM: S.SOCKET_SECURITY_SETTINGS_IPSEC.offsets.AuthipQMPolicyKey,
  IPSEC_UserLen: S.SOCKET_SECURITY_SETTINGS_IPSEC.offsets.UserNameStringLen,
  IPSEC_DomainLen: S.SOCKET_SECURITY_SETTINGS_IPSEC.offsets.DomainNameStringLen,
  IPSEC_PasswordLen: S.SOCKET_SECURITY_SETTINGS_IPSEC.offsets.PasswordStringLen,
  IPSEC_Strings: S.SOCKET_SECURITY_SETTINGS_IPSEC.offsets.AllStrings,
  PTN_Protocol: S.SOCKET_PEER_TARGET_NAME.offsets.SecurityProtocol,
  PTN_PeerAddress: S.SOCKET_PEER_TARGET_NAME.offsets.PeerAddress,
  PTN_StringLen: S.SOCKET_PEER_TARGET_NAME.offsets.PeerTargetNameStringLen,
  PTN_Strings: S.SOCKET_PEER_TARGET_NAME.offsets.AllStrings,
  TPL_Protocol: S.SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2.offsets.SecurityProtocol,
  TPL_PeerAddress: S.SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2.offsets.PeerAddress,
  TPL_Access: S.SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2.offsets.PeerTokenAccessMask,
  TPL_Flags: S.SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2.offsets.Flags,
  TPL_FieldMask: S.SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2.offsets.FieldMask,
  INFO_Protocol: S.SOCKET_SECURITY_QUERY_INFO_IPSEC2.offsets.SecurityProtocol,
  INFO_Flags: S.SOCKET_SECURITY_QUERY_INFO_IPSEC2.offsets.Flags,
  INFO_AppToken: S.SOCKET_SECURITY_QUERY_INFO_IPSEC2.offsets.PeerApplicationAccessTokenHandle,
  INFO_MachineToken: S.SOCKET_SECURITY_QUERY_INFO_IPSEC2.offsets.PeerMachineAccessTokenHandle,
  INFO_MmSaId: S.SOCKET_SECURITY_QUERY_INFO_IPSEC2.offsets.MmSaId,
  INFO_QmSaId: S.SOCKET_SECURITY_QUERY_INFO_IPSEC2.offsets.QmSaId,
  INFO_NegotiationWinerr: S.SOCKET_SECURITY_QUERY_INFO_IPSEC2.offsets.NegotiationWinerr,
  INFO_SaLookupContext: S.SOCKET_SECURITY_QUERY_INFO_IPSEC2.offsets.SaLookupContext,
} as const;
