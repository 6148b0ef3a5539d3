/**
 * `@wsasec/sim`: an in-process IPsec model that implements the wsasec backend contract anywhere. A
 * realm (domain, users, groups, machines, a CA, policies), AuthIP-like negotiation over the TCP
 * connection, ESP-like protected frames, peer tokens and impersonation.
 * @packageDocumentation
 */

export { openTokenCount } from './access/tokens.js';
export {
  createSimBackend,
  DEFAULT_ANNOUNCE_DELAY,
  DEFAULT_CLEAR_FALLBACK_DELAY,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_CONCURRENT_HANDSHAKES,
  DEFAULT_MAX_FRAME_SIZE,
  type SimBackendOptions,
} from './backend.js';
export { DEFAULT_REKEY_GRACE, type SimDatagramStats } from './datagram/driver.js';
export {
  DEFAULT_REPLAY_WINDOW,
  MAX_REPLAY_WINDOW,
  type ReplayVerdict,
  ReplayWindow,
} from './datagram/replay.js';
export { SIM_CHANNELS } from './diagnostics.js';
export { createBackendFromEnv } from './env.js';
export {
  DEFAULT_LIFETIME,
  type Lifetime,
  type MainModePolicy,
  type PolicyStore,
  type QuickModePolicy,
  type SimPolicy,
  type Transform,
} from './policy/policy.js';
export {
  type AddMachineOptions,
  type AddUserOptions,
  createSimRealm,
  SimRealm,
  type SimRealmJson,
  type SimRealmOptions,
} from './realm/realm.js';
export { REALM_FILE_FORMAT, REALM_FILE_VERSION } from './realm/realm-file.js';
export { SimSocket } from './socket/socket.js';
