/**
 * `@wsasec/native-win`: the Winsock Secure Socket Extensions (IPsec/AuthIP per socket) on Windows,
 * through koffi. `createNativeBackend()` returns a `SecureSocketBackend` whose sockets are created
 * by `WSASocketW`, secured before bind/connect, and then handed to Node's own TCP handle.
 * The struct types and buffer encoders live in `@wsasec/native-win/abi`.
 * @packageDocumentation
 */
export type { TargetNameLengthUnit } from './abi/target-name.js';
export {
  createBackendFromEnv,
  createNativeBackend,
  type NativeBackendOptions,
  type NativeBackendStats,
  nativeBackendStats,
} from './backend.js';
export { createKoffiLibrary, type KoffiLibraryOptions } from './library/koffi-library.js';
export type { NativeLibrary, NativePointer, NativePollHandle } from './library/library.js';
export {
  createWinsockSecureApi,
  type WinsockSecureApi,
  type WinsockSecureApiOptions,
} from './library/raw-api.js';
export { selfTestNodeInternals } from './socket/node-internals.js';
export type { WfpMainModeSa } from './wfp/encode.js';
export {
  openWfpEngine,
  type WfpAddPolicyOptions,
  WfpEngine,
  type WfpEngineOptions,
  WfpProviderContext,
} from './wfp/engine.js';
export { FWP_ERRORS, WFP_WIN32_ERRORS, wfpError, wfpStatusName } from './wfp/errors.js';
export { createKoffiWfpLibrary, type KoffiWfpLibraryOptions, type WfpLibrary } from './wfp/library.js';
export type {
  WfpMainModePolicy,
  WfpPolicy,
  WfpPolicyLifetime,
  WfpQuickModePolicy,
} from './wfp/policy.js';
export type {
  WfpConnection,
  WfpIpsecSa,
  WfpIpsecSaDetails,
  WfpIpsecTraffic,
  WfpQuickModeSa,
  WfpSaIds,
} from './wfp/sa.js';
