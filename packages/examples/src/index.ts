/**
 * `@wsasec/examples`: the wsasec demo, the `wsasec` command and the helpers the runnable examples
 * share. Private: run it (`pnpm demo`, `wsasec --help`, `node dist/examples/<name>.js`), read it.
 * @packageDocumentation
 */

export { CONTOSO, type ContosoRealm, createContosoRealm } from '../examples/contoso-realm.js';
export { type CliIo, EXIT, UsageError } from './cli/args.js';
export { main } from './cli/main.js';
export { type DemoStep, paletteFor } from './demo/report.js';
export { type DemoOptions, type DemoResult, runDemo } from './demo/run.js';
export { createDemoServer, type DemoServer } from './demo/server.js';
export { type SecureRequestOptions, type SecureResponse, secureRequest } from './shared/http-request.js';
export {
  errorCode,
  formatPrincipal,
  formatProtection,
  formatSaId,
  type SecuritySnapshot,
  snapshotSecurity,
} from './shared/security-format.js';
export {
  type Endpoint,
  startTunnelClient,
  startTunnelServer,
  type TunnelClientOptions,
  type TunnelHandle,
  type TunnelServerOptions,
} from './tunnel/tunnel.js';
