/**
 * `@wsasec/core`: the contract of wsasec — settings and result types, every C constant under its C
 * name, the `SecureSocketError` root, the backend interface, and the call-order rules of the C API
 * enforced once for every backend.
 * @packageDocumentation
 */

export type * from './backend.js';
export * from './constants.js';
export { datagramPeerKey, MAX_DATAGRAM_SIZE } from './datagram-guard.js';
export type * from './datagram-types.js';
export { defineBackend, MAX_SDDL_LENGTH } from './define-backend.js';
export type * from './driver.js';
export * from './error-codes.js';
export {
  ikeErrorName,
  isDocumentedErrorCode,
  SecureSocketError,
  type SecureSocketErrorOptions,
  wsaCodeName,
} from './errors.js';
export { rejectThenable, runImpersonated } from './impersonation.js';
export {
  BACKEND_PACKAGES,
  type BackendModule,
  type BackendName,
  type LoadBackendOptions,
  loadBackend,
} from './load-backend.js';
export { toSecureSocketError } from './node-errors.js';
export type * from './normalized.js';
export {
  createPeerToken,
  createSecurityInfo,
  type PeerTokenInit,
  type SecurityInfoInit,
} from './security-info.js';
export {
  type GuardOptions,
  guardSocket,
  type SocketPhase,
  type SocketState,
  socketState,
} from './socket-guard.js';
export type * from './types.js';
export {
  CREDENTIAL_LIMITS,
  MAX_TARGET_NAME_LENGTH,
  normalizeAccessMask,
  normalizeAddress,
  normalizeConnectTarget,
  normalizeGuid,
  normalizePeerTargetName,
  normalizeProtocol,
  normalizeQuery,
  normalizeSecuritySettings,
  protocolName,
} from './validate.js';
