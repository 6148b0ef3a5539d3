/**
 * `@wsasec/native-win/abi`: the Windows x64 ABI of the Winsock Secure Socket Extensions — koffi
 * struct types under their C names, the layout table they are checked against, and one encoder and
 * one decoder per variable-length buffer. Importing this entry loads koffi (the main entry does not).
 * @packageDocumentation
 */
import { abiTypes } from './abi/types.js';

const types = abiTypes();

/** koffi type of `GUID` (16 bytes, align 4). */
export const GUID = types.GUID;
/** koffi type of `SOCKADDR_STORAGE` (128 bytes, align 8). */
export const SOCKADDR_STORAGE = types.SOCKADDR_STORAGE;
/** koffi type of `struct sockaddr_in` (16 bytes). */
export const sockaddr_in = types.sockaddr_in;
/** koffi type of `struct sockaddr_in6` (28 bytes). */
export const sockaddr_in6 = types.sockaddr_in6;
/** koffi type of `WSAOVERLAPPED` (32 bytes). */
export const WSAOVERLAPPED = types.WSAOVERLAPPED;
/** koffi type of `SOCKET_SECURITY_SETTINGS` (8 bytes). */
export const SOCKET_SECURITY_SETTINGS = types.SOCKET_SECURITY_SETTINGS;
/** koffi type of `SOCKET_SECURITY_SETTINGS_IPSEC` (88 bytes; strings follow at offset 84). */
export const SOCKET_SECURITY_SETTINGS_IPSEC = types.SOCKET_SECURITY_SETTINGS_IPSEC;
/** koffi type of `SOCKET_PEER_TARGET_NAME` (144 bytes; the name follows at offset 140). */
export const SOCKET_PEER_TARGET_NAME = types.SOCKET_PEER_TARGET_NAME;
/** koffi type of `SOCKET_SECURITY_QUERY_TEMPLATE` (144 bytes). */
export const SOCKET_SECURITY_QUERY_TEMPLATE = types.SOCKET_SECURITY_QUERY_TEMPLATE;
/** koffi type of `SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2` (152 bytes, Windows 7+, from the SDK header). */
export const SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2 = types.SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2;
/** koffi type of `SOCKET_SECURITY_QUERY_INFO` (24 bytes). */
export const SOCKET_SECURITY_QUERY_INFO = types.SOCKET_SECURITY_QUERY_INFO;
/** koffi type of `SOCKET_SECURITY_QUERY_INFO_IPSEC2` (64 bytes, Windows 7+, from the SDK header). */
export const SOCKET_SECURITY_QUERY_INFO_IPSEC2 = types.SOCKET_SECURITY_QUERY_INFO_IPSEC2;

export {
  bytesToIpv6,
  decodeSockaddr,
  encodeSockaddr,
  ipv6ToBytes,
  SIZEOF_SOCKADDR_IN,
  SIZEOF_SOCKADDR_IN6,
  SIZEOF_SOCKADDR_STORAGE,
  WIN_AF_INET,
  WIN_AF_INET6,
  writeSockaddr,
} from './abi/address.js';
export { OFF, STRUCT_LAYOUTS, type StructLayout, type StructName } from './abi/layout.js';
export {
  decodeQueryInfo,
  decodeQueryTemplate,
  encodeQueryInfo,
  encodeQueryTemplate,
  QUERY_INFO_IPSEC2_SIZE,
  QUERY_INFO_SIZE,
  type QueryInfo,
} from './abi/query.js';
export {
  decodeSecuritySettings,
  encodeSecuritySettings,
  readGuid,
  writeGuid,
} from './abi/settings.js';
export {
  decodePeerTargetName,
  encodePeerTargetName,
  resolveTargetNameUnit,
  type TargetNameLengthUnit,
} from './abi/target-name.js';
export { type AbiTypes, abiTypes } from './abi/types.js';
export {
  type DecodedProviderContext,
  decodeProviderContext,
  decodeSaDetails,
  encodeProviderContext,
  encodeSession,
  relocate,
  type WfpEncoding,
} from './wfp/encode.js';
export { WFP_CONSTANTS, WFP_STRUCT_LAYOUTS, type WfpStructName } from './wfp/layout.js';
export { type CheckedWfpPolicy, checkWfpPolicy } from './wfp/policy.js';
export {
  decodeSaContext,
  decodeSaContextList,
  encodeSaContextEnumTemplate,
  type ReadMemory,
  type WfpAddressPair,
} from './wfp/sa.js';
