/**
 * `@wsasec/adversarial`: the man-in-the-middle harness, attack matrix, bounds, fuzz and soak tools
 * that test the sim (private to the repository).
 * @packageDocumentation
 */

export { NATIVE_FUZZ_TARGETS } from './fuzz/native.js';
export {
  assertDocumented,
  FUZZ_TARGETS,
  type FuzzOutcome,
  type FuzzTarget,
  fuzzTarget,
} from './fuzz/targets.js';
export { type EchoServer, echoOnce, readBytes, startEchoServer } from './harness/echo.js';
export {
  type ChannelEvent,
  findBytes,
  findSecrets,
  payloadText,
  type Recording,
  recordChannels,
  recordDebugLog,
} from './harness/observe.js';
export {
  adversarialRealm,
  REALM_SECRETS,
  type RealmBackends,
  realmBackends,
  SUITE_TIMINGS,
} from './harness/realm.js';
export {
  type DatagramRelay,
  type DatagramRelayOptions,
  type DatagramTamper,
  isProtectedDatagram,
  startDatagramRelay,
} from './mitm/dgram-relay.js';
export {
  type DatagramObserved,
  type DatagramScenario,
  DROP_COUNTERS,
  type DropCounter,
  datagramScenarios,
  runDatagramScenario,
} from './mitm/dgram-scenarios.js';
export {
  type MitmProxy,
  type MitmProxyOptions,
  type RecordedUnit,
  startMitmProxy,
  type Tamper,
  type TamperContext,
} from './mitm/proxy.js';
export { type Observed, runCell, settle } from './mitm/run.js';
export { type Expected, SCENARIOS, type Scenario, SETTINGS, type SettingsCase } from './mitm/scenarios.js';
export { type Direction, FrameKind, RecordType, UnitSplitter, type WireUnit } from './mitm/units.js';
export {
  type DatagramRow,
  type FuzzFigures,
  type MatrixCell,
  REPORT_PATH,
  renderReport,
  type SoakFigures,
  saveResult,
  writeReport,
} from './report/reliability.js';
export {
  heapAfterGc,
  openHandles,
  type SoakServer,
  type SoakServerStats,
  startSoakServer,
} from './soak/server.js';
export {
  addPeers,
  type IdentityResult,
  runIdentitySoak,
  runSoak,
  type SoakOptions,
  type SoakResult,
  type SoakServerHandle,
} from './soak/soak.js';
