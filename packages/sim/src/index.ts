/**
 * `@wsasec/sim`: an in-process IPsec model that implements the wsasec backend contract anywhere. A
 * realm (domain, users, groups, machines, a CA, policies), AuthIP-like negotiation over the TCP
 * connection, ESP-like protected frames, peer tokens and impersonation.
 * @packageDocumentation
 */

export {
  createSimBackend,
  DEFAULT_ANNOUNCE_DELAY,
  DEFAULT_CLEAR_FALLBACK_DELAY,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_CONCURRENT_HANDSHAKES,
  DEFAULT_MAX_FRAME_SIZE,
  type SimBackendOptions,
} from './sim-backend.js';
export type { SimDatagramStats } from './sim-dgram.js';
export {
  DEFAULT_REPLAY_WINDOW,
  MAX_REPLAY_WINDOW,
  type ReplayVerdict,
  ReplayWindow,
} from './sim-dgram-replay.js';
export { SIM_CHANNELS } from './sim-diagnostics.js';
export { createBackendFromEnv } from './sim-env.js';
export {
  DEFAULT_LIFETIME,
  type Lifetime,
  type MainModePolicy,
  type PolicyStore,
  type QuickModePolicy,
  type SimPolicy,
  type Transform,
} from './sim-policy.js';
export {
  type AddMachineOptions,
  type AddUserOptions,
  createSimRealm,
  SimRealm,
  type SimRealmJson,
  type SimRealmOptions,
} from './sim-realm.js';
export { REALM_FILE_FORMAT, REALM_FILE_VERSION } from './sim-realm-json.js';
export { SimSocket } from './sim-socket.js';
export { openTokenCount } from './sim-tokens.js';
