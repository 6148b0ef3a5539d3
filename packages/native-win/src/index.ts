/**
 * `@wsasec/native-win`: the Winsock Secure Socket Extensions (IPsec/AuthIP per socket) on Windows,
 * through koffi. `createNativeBackend()` returns a `SecureSocketBackend` whose sockets are created
 * by `WSASocketW`, secured before bind/connect, and then handed to Node's own TCP handle.
 * The struct types and buffer encoders live in `@wsasec/native-win/abi`.
 * @packageDocumentation
 */
export type { TargetNameLengthUnit } from './native-abi-target-name.js';
export {
  createBackendFromEnv,
  createNativeBackend,
  type NativeBackendOptions,
  type NativeBackendStats,
  nativeBackendStats,
} from './native-backend.js';
export { createKoffiLibrary, type KoffiLibraryOptions } from './native-koffi-library.js';
export type { NativeLibrary, NativePointer, NativePollHandle } from './native-library.js';
export { selfTestNodeInternals } from './native-node-internals.js';
export {
  createWinsockSecureApi,
  type WinsockSecureApi,
  type WinsockSecureApiOptions,
} from './native-raw-api.js';
