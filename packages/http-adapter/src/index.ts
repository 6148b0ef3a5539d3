/**
 * `@wsasec/http-adapter`: secured sockets under Node's HTTP stack — `SecureAgent` for the http
 * client (and axios, got), `createSecureServer` with per-request peer identity, impersonation and
 * access checks, HTTP/2 (h2c) server and client sessions with peer identity per stream, and an
 * undici dispatcher with the matching `fetch`.
 * @packageDocumentation
 */

export { SecureAgent, type SecureAgentOptions, type SecureRequestOptions } from './agent/agent.js';
export { isReusedSocketReset } from './agent/retry.js';
export { HTTP_CHANNELS } from './connect/observe.js';
export type { PeerTargetNameOption, SecureClientOptions } from './connect/options.js';
export {
  createSecureConnector,
  createSecureDispatcher,
  type SecureConnectorOptions,
  type SecureDispatcherOptions,
} from './fetch/dispatcher.js';
export { fetch } from './fetch/fetch.js';
export { connectSecureHttp2, type SecureHttp2ConnectOptions } from './http2/connect.js';
export {
  createSecureHttp2Server,
  type SecureHttp2RequestListener,
  type SecureHttp2ServerOptions,
} from './http2/server.js';
export {
  type PeerAccessMiddleware,
  type RequirePeerAccessOptions,
  requirePeerAccess,
} from './server/access.js';
export { getPeerSecurity, impersonateRequestPeer, type PeerSource } from './server/peer.js';
export { createSecureServer, type SecureServerOptions } from './server/server.js';
