/**
 * `@wsasec/core`: the contract of wsasec — settings and result types, every C constant under its C
 * name, the `SecureSocketError` root, the backend interface, and the call-order rules of the C API
 * enforced once for every backend.
 * @packageDocumentation
 */

export { defineBackend, MAX_SDDL_LENGTH } from './backend/define.js';
export {
  BACKEND_PACKAGES,
  type BackendModule,
  type BackendName,
  type LoadBackendOptions,
  loadBackend,
} from './backend/load.js';
export {
  type BoundAddress,
  closeServer,
  type ListenableServer,
  listenServer,
} from './backend/promises.js';
export type * from './contract/backend.js';
export * from './contract/constants.js';
export type * from './contract/datagram-types.js';
export * from './contract/error-codes.js';
export type * from './contract/types.js';
export type * from './driver/driver.js';
export {
  createPeerToken,
  createSecurityInfo,
  type PeerTokenInit,
  type SecurityInfoInit,
} from './driver/security-info.js';
export {
  ikeErrorName,
  isDocumentedErrorCode,
  SecureSocketError,
  type SecureSocketErrorOptions,
  wsaCodeName,
} from './errors/errors.js';
export {
  describeReceived,
  invalidArgType,
  outOfRange,
  TIMEOUT_MAX,
  timerDuration,
} from './errors/node-args.js';
export { closedBeforeConnection, toSecureSocketError } from './errors/node-errors.js';
export { datagramPeerKey, MAX_DATAGRAM_SIZE } from './guards/datagram.js';
export { rejectThenable, runImpersonated } from './guards/impersonation.js';
export {
  type GuardOptions,
  guardSocket,
  type SocketPhase,
  type SocketState,
  socketState,
} from './guards/socket.js';
export type * from './validate/normalized.js';
export {
  MAX_POLICY_LIFETIME_SECONDS,
  type MainModePolicyDescription,
  normalizePolicyDescription,
  type PolicyDescription,
  type PolicyLifetime,
  type QuickModePolicyDescription,
} from './validate/policy.js';
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
} from './validate/validate.js';
