/**
 * `@wsasec/core`: the contract of wsasec — settings and result types, every C constant under its C
 * name, the `SecureSocketError` root, the backend interface, and the call-order rules of the C API
 * enforced once for every backend.
 * @packageDocumentation
 */
export * from './constants.js';
export * from './error-codes.js';
export { SecureSocketError, type SecureSocketErrorOptions, wsaCodeName, ikeErrorName, isDocumentedErrorCode } from './errors.js';
export type * from './types.js';
export type * from './backend.js';
export type * from './driver.js';
export type * from './normalized.js';
export { defineBackend, MAX_SDDL_LENGTH } from './define-backend.js';
export { guardSocket, socketState, type SocketPhase, type SocketState, type GuardOptions } from './socket-guard.js';
export { runImpersonated, rejectThenable } from './impersonation.js';
export { toSecureSocketError } from './node-errors.js';
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
export { loadBackend, BACKEND_PACKAGES, type BackendName, type BackendModule, type LoadBackendOptions } from './load-backend.js';
export { createSecurityInfo, createPeerToken, type SecurityInfoInit, type PeerTokenInit } from './security-info.js';
