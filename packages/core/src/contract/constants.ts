/**
 * Every constant of the Winsock Secure Socket Extensions under its C name, with its Windows value
 * (`mstcpip.h`, `ws2def.h`, `winerror.h`). Code ported from C reads the same.
 *
 * Values are the Windows ones even where Linux differs: `AF_INET6` is 23, not 10.
 * @module
 */

// SOCKET_SECURITY_PROTOCOL (mstcpip.h). A binding must hard-code these: with NTDDI < WIN7,
// IPSEC2 disappears and INVALID becomes 2.
/** System default security protocol; behaves as IPsec. */
export const SOCKET_SECURITY_PROTOCOL_DEFAULT = 0;
/** IPsec (AuthIP/IKE). */
export const SOCKET_SECURITY_PROTOCOL_IPSEC = 1;
/** IPsec, version 2 of the secure socket structures (Windows 7+). */
export const SOCKET_SECURITY_PROTOCOL_IPSEC2 = 2;
/** Sentinel; never legal. */
export const SOCKET_SECURITY_PROTOCOL_INVALID = 3;

/** SOCKET_USAGE_TYPE (belongs to SIO_SOCKET_USAGE_NOTIFICATION, not to these functions). */
export const SYSTEM_CRITICAL_SOCKET = 1;

// SecurityFlags
/** Encryption is required: if it cannot be negotiated, nothing is sent and no connection is made. */
export const SOCKET_SETTINGS_GUARANTEE_ENCRYPTION = 0x1;
/** Clear-text fallback is allowed when negotiation fails. */
export const SOCKET_SETTINGS_ALLOW_INSECURE = 0x2;

// IpsecFlags (must go in IpsecFlags, not SecurityFlags: the values overlap).
/** Do not instantiate IPsec filters for this socket; rely on existing policy. */
export const SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION = 0x1;
/** A peer target name mismatch is not fatal (Windows 7+). */
export const SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION = 0x2;
/** The first inbound packet may arrive in clear text (Windows 7+). */
export const SOCKET_SETTINGS_IPSEC_ALLOW_FIRST_INBOUND_PKT_UNENCRYPTED = 0x4;
/** The peer target name is taken verbatim instead of as an SPN (Windows 7+). */
export const SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT = 0x8;

// SOCKET_SECURITY_QUERY_INFO.Flags
/** Traffic is protected by a security protocol. */
export const SOCKET_INFO_CONNECTION_SECURED = 0x1;
/** Traffic is encrypted (SECURED is always set with it). */
export const SOCKET_INFO_CONNECTION_ENCRYPTED = 0x2;
/** Negotiation used the socket principal's credentials through impersonation. */
export const SOCKET_INFO_CONNECTION_IMPERSONATED = 0x4;

// SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2.Flags / FieldMask (Windows 7+)
/** Abort the connection when a field selected by the field mask changes (for example on rekey). */
export const SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE = 0x1;
/** Field mask bit: the main-mode SA id. */
export const SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID = 0x1;
/** Field mask bit: the quick-mode SA id. */
export const SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID = 0x2;

// Access rights for PeerTokenAccessMask (winnt.h)
export const DELETE = 0x0001_0000;
export const READ_CONTROL = 0x0002_0000;
export const WRITE_DAC = 0x0004_0000;
export const WRITE_OWNER = 0x0008_0000;
export const SYNCHRONIZE = 0x0010_0000;
export const STANDARD_RIGHTS_REQUIRED = 0x000f_0000;
export const STANDARD_RIGHTS_READ = READ_CONTROL;
export const STANDARD_RIGHTS_WRITE = READ_CONTROL;
export const STANDARD_RIGHTS_EXECUTE = READ_CONTROL;
export const STANDARD_RIGHTS_ALL = 0x001f_0000;
export const ACCESS_SYSTEM_SECURITY = 0x0100_0000;
export const MAXIMUM_ALLOWED = 0x0200_0000;
export const GENERIC_ALL = 0x1000_0000;
export const GENERIC_EXECUTE = 0x2000_0000;
export const GENERIC_WRITE = 0x4000_0000;
export const GENERIC_READ = 0x8000_0000;
export const TOKEN_ASSIGN_PRIMARY = 0x0001;
export const TOKEN_DUPLICATE = 0x0002;
export const TOKEN_IMPERSONATE = 0x0004;
export const TOKEN_QUERY = 0x0008;
export const TOKEN_QUERY_SOURCE = 0x0010;
export const TOKEN_ADJUST_PRIVILEGES = 0x0020;
export const TOKEN_ADJUST_GROUPS = 0x0040;
export const TOKEN_ADJUST_DEFAULT = 0x0080;
export const TOKEN_ADJUST_SESSIONID = 0x0100;
export const TOKEN_READ = STANDARD_RIGHTS_READ | TOKEN_QUERY;
export const TOKEN_WRITE =
  STANDARD_RIGHTS_WRITE | TOKEN_ADJUST_PRIVILEGES | TOKEN_ADJUST_GROUPS | TOKEN_ADJUST_DEFAULT;
export const TOKEN_EXECUTE = STANDARD_RIGHTS_EXECUTE;
export const TOKEN_ALL_ACCESS =
  STANDARD_RIGHTS_REQUIRED |
  TOKEN_ASSIGN_PRIMARY |
  TOKEN_DUPLICATE |
  TOKEN_IMPERSONATE |
  TOKEN_QUERY |
  TOKEN_QUERY_SOURCE |
  TOKEN_ADJUST_PRIVILEGES |
  TOKEN_ADJUST_GROUPS |
  TOKEN_ADJUST_DEFAULT |
  TOKEN_ADJUST_SESSIONID;

// ws2def.h
export const AF_UNSPEC = 0;
export const AF_INET = 2;
/** Windows value (Linux uses 10). */
export const AF_INET6 = 23;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const SOL_SOCKET = 0xffff;
export const SO_EXCLUSIVEADDRUSE = -5;
export const SOCKET_ERROR = -1;
export const INVALID_SOCKET = 0xffff_ffff_ffff_ffffn;
export const WSA_FLAG_OVERLAPPED = 0x01;
export const WSA_FLAG_NO_HANDLE_INHERIT = 0x80;

// IOCTLs behind the wrappers
export const SIO_SET_SECURITY = 0x9800_00c8;
export const SIO_QUERY_SECURITY = 0xd800_00c9;
export const SIO_SET_PEER_TARGET_NAME = 0x9800_00ca;
export const SIO_DELETE_PEER_TARGET_NAME = 0x9800_00cb;
export const SIO_SOCKET_USAGE_NOTIFICATION = 0x9800_00cc;
export const SIO_QUERY_WFP_ALE_ENDPOINT_HANDLE = 0x5800_00cd;

// WFP / IKEEXT values the settings refer to
export const FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT = 3;
export const FWPM_IPSEC_AUTHIP_MM_CONTEXT = 6;
export const IKEEXT_IMPERSONATION_NONE = 0;
export const IKEEXT_IMPERSONATION_SOCKET_PRINCIPAL = 1;
export const FWP_CLASSIFY_OPTION_SECURE_SOCKET_SECURITY_FLAGS = 4;
export const FWP_CLASSIFY_OPTION_SECURE_SOCKET_AUTHIP_MM_POLICY_KEY = 5;
export const FWP_CLASSIFY_OPTION_SECURE_SOCKET_AUTHIP_QM_POLICY_KEY = 6;
/** Built-in main-mode policy used when AuthipMMPolicyKey is the zero GUID. */
export const FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP = 'b25ea800-0d02-46ed-92bd-7fa84bb73e9d';
/** Built-in quick-mode policy used when AuthipQMPolicyKey is the zero GUID. */
export const FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC = '8c2d4144-f8e0-42c0-94ce-7ccfc63b2f9b';
/** The WFP sublayer that holds the per-socket filters. */
export const FWPM_SUBLAYER_SECURE_SOCKET = '15a66e17-3f3c-4f7b-aa6c-812aa613dd82';

// Struct sizes on Windows x64 (spec/struct-layout-x64.txt)
export const SIZEOF_SOCKET_SECURITY_SETTINGS = 8;
export const SIZEOF_SOCKET_SECURITY_SETTINGS_IPSEC = 88;
export const SIZEOF_SOCKET_PEER_TARGET_NAME = 144;
export const SIZEOF_SOCKET_SECURITY_QUERY_TEMPLATE = 144;
export const SIZEOF_SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2 = 152;
export const SIZEOF_SOCKET_SECURITY_QUERY_INFO = 24;
export const SIZEOF_SOCKET_SECURITY_QUERY_INFO_IPSEC2 = 64;
export const SIZEOF_SOCKADDR_STORAGE = 128;

// File-object rights (winnt.h), used as the generic mapping of `accessCheck`.
export const FILE_READ_DATA = 0x0001;
export const FILE_WRITE_DATA = 0x0002;
export const FILE_APPEND_DATA = 0x0004;
export const FILE_READ_EA = 0x0008;
export const FILE_WRITE_EA = 0x0010;
export const FILE_EXECUTE = 0x0020;
export const FILE_READ_ATTRIBUTES = 0x0080;
export const FILE_WRITE_ATTRIBUTES = 0x0100;
export const FILE_GENERIC_READ = 0x0012_0089;
export const FILE_GENERIC_WRITE = 0x0012_0116;
export const FILE_GENERIC_EXECUTE = 0x0012_00a0;
export const FILE_ALL_ACCESS = 0x001f_01ff;

/**
 * The `GENERIC_MAPPING` every backend's `accessCheck` uses (the file-object mapping), so that
 * `GENERIC_READ` in an SDDL string or a desired mask means the same on the sim and on Windows.
 */
export const DEFAULT_GENERIC_MAPPING = Object.freeze({
  genericRead: FILE_GENERIC_READ,
  genericWrite: FILE_GENERIC_WRITE,
  genericExecute: FILE_GENERIC_EXECUTE,
  genericAll: FILE_ALL_ACCESS,
});
