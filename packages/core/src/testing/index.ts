/**
 * `@wsasec/core/testing`: backends for tests of code that takes a `SecureSocketBackend` — the
 * in-memory backend (a realm, negotiation and access checks with no sockets at all) and the
 * recording backend (every driver call recorded, connects settled by the test). Unstable: these
 * follow what core's and conformance's own tests need, and may change in any minor release.
 * @module
 */
export {
  createMemoryBackend,
  createMemoryRealm,
  type MemoryBackendOptions,
  type MemoryRealm,
  openMemoryTokens,
} from './memory-backend.js';
export type { MemoryPrincipal, MemoryRealmOptions } from './memory-realm.js';
export type { RecordingDatagram } from './recording-datagram.js';
export {
  createRecordingBackend,
  type PendingConnect,
  type RecordingBackend,
  type RecordingOptions,
} from './recording-driver.js';
