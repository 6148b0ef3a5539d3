/**
 * Node's own test/parallel http tests, ported with the http-adapter's `createSecureServer` and
 * `SecureAgent` over a backend pair standing in for Node's http and net (`support.ts` says how)
 * and Node's assertions unchanged. {@link describeHttpPorts} registers them in the calling test
 * file; the known failures are `it.fails` in the port and listed in `KNOWN-FAILURES.md`.
 * @module
 */
import { describePorts, type Port } from '../ports.js';
import { type HttpPortBackends, NodeHttpTest } from './support.js';
import httpAbortQueued from './test-http-abort-queued.js';
import httpAgent from './test-http-agent.js';
import httpAgentAbortController from './test-http-agent-abort-controller.js';
import httpAgentClose from './test-http-agent-close.js';
import httpAgentDestroyedSocket from './test-http-agent-destroyed-socket.js';
import httpAgentErrorOnIdle from './test-http-agent-error-on-idle.js';
import httpAgentGetname from './test-http-agent-getname.js';
import httpAgentKeepalive from './test-http-agent-keepalive.js';
import httpAgentKeepaliveDelay from './test-http-agent-keepalive-delay.js';
import httpAgentMaxsockets from './test-http-agent-maxsockets.js';
import httpAgentMaxsocketsRegress4050 from './test-http-agent-maxsockets-regress-4050.js';
import httpAgentMaxsocketsRespected from './test-http-agent-maxsockets-respected.js';
import httpAgentMaxtotalsockets from './test-http-agent-maxtotalsockets.js';
import httpAgentRemove from './test-http-agent-remove.js';
import httpAgentReuseDrainedSocketOnly from './test-http-agent-reuse-drained-socket-only.js';
import httpAgentScheduling from './test-http-agent-scheduling.js';
import httpAgentTimeout from './test-http-agent-timeout.js';
import httpAgentTimeoutOption from './test-http-agent-timeout-option.js';
import httpClientAbort from './test-http-client-abort.js';
import httpClientAbortDestroy from './test-http-client-abort-destroy.js';
import httpClientAbortEvent from './test-http-client-abort-event.js';
import httpClientAbortKeepAliveQueuedTcpSocket from './test-http-client-abort-keep-alive-queued-tcp-socket.js';
import httpClientAbortNoAgent from './test-http-client-abort-no-agent.js';
import httpClientAbortResponseEvent from './test-http-client-abort-response-event.js';
import httpClientAbort2 from './test-http-client-abort2.js';
import httpClientAgent from './test-http-client-agent.js';
import httpClientAgentAbortCloseEvent from './test-http-client-agent-abort-close-event.js';
import httpClientAgentEndCloseEvent from './test-http-client-agent-end-close-event.js';
import httpClientCloseEvent from './test-http-client-close-event.js';
import httpClientKeepAliveReleaseBeforeFinish from './test-http-client-keep-alive-release-before-finish.js';
import httpClientSetTimeout from './test-http-client-set-timeout.js';
import httpClientTimeoutAgent from './test-http-client-timeout-agent.js';
import httpClientTimeoutEvent from './test-http-client-timeout-event.js';
import httpKeepAlive from './test-http-keep-alive.js';
import httpKeepAliveCloseOnHeader from './test-http-keep-alive-close-on-header.js';
import httpKeepAliveDropRequests from './test-http-keep-alive-drop-requests.js';
import httpKeepAliveMaxRequests from './test-http-keep-alive-max-requests.js';
import httpKeepAlivePipelineMaxRequests from './test-http-keep-alive-pipeline-max-requests.js';
import httpKeepAliveTimeout from './test-http-keep-alive-timeout.js';
import httpKeepAliveTimeoutCustom from './test-http-keep-alive-timeout-custom.js';
import httpKeepAliveTimeoutRaceCondition from './test-http-keep-alive-timeout-race-condition.js';
import httpKeepaliveFree from './test-http-keepalive-free.js';
import httpKeepaliveOverride from './test-http-keepalive-override.js';
import httpKeepaliveRequest from './test-http-keepalive-request.js';
import httpServerCloseAll from './test-http-server-close-all.js';
import httpServerCloseDestroyTimeout from './test-http-server-close-destroy-timeout.js';
import httpServerCloseIdle from './test-http-server-close-idle.js';
import httpServerCloseIdleWaitResponse from './test-http-server-close-idle-wait-response.js';

const PORTS: readonly (readonly [string, Port<NodeHttpTest>])[] = [
  ['test-http-abort-queued', httpAbortQueued],
  ['test-http-agent', httpAgent],
  ['test-http-agent-abort-controller', httpAgentAbortController],
  ['test-http-agent-close', httpAgentClose],
  ['test-http-agent-destroyed-socket', httpAgentDestroyedSocket],
  ['test-http-agent-error-on-idle', httpAgentErrorOnIdle],
  ['test-http-agent-getname', httpAgentGetname],
  ['test-http-agent-keepalive', httpAgentKeepalive],
  ['test-http-agent-keepalive-delay', httpAgentKeepaliveDelay],
  ['test-http-agent-maxsockets', httpAgentMaxsockets],
  ['test-http-agent-maxsockets-regress-4050', httpAgentMaxsocketsRegress4050],
  ['test-http-agent-maxsockets-respected', httpAgentMaxsocketsRespected],
  ['test-http-agent-maxtotalsockets', httpAgentMaxtotalsockets],
  ['test-http-agent-remove', httpAgentRemove],
  ['test-http-agent-reuse-drained-socket-only', httpAgentReuseDrainedSocketOnly],
  ['test-http-agent-scheduling', httpAgentScheduling],
  ['test-http-agent-timeout', httpAgentTimeout],
  ['test-http-agent-timeout-option', httpAgentTimeoutOption],
  ['test-http-client-abort', httpClientAbort],
  ['test-http-client-abort-destroy', httpClientAbortDestroy],
  ['test-http-client-abort-event', httpClientAbortEvent],
  ['test-http-client-abort-keep-alive-queued-tcp-socket', httpClientAbortKeepAliveQueuedTcpSocket],
  ['test-http-client-abort-no-agent', httpClientAbortNoAgent],
  ['test-http-client-abort-response-event', httpClientAbortResponseEvent],
  ['test-http-client-abort2', httpClientAbort2],
  ['test-http-client-agent', httpClientAgent],
  ['test-http-client-agent-abort-close-event', httpClientAgentAbortCloseEvent],
  ['test-http-client-agent-end-close-event', httpClientAgentEndCloseEvent],
  ['test-http-client-close-event', httpClientCloseEvent],
  ['test-http-client-keep-alive-release-before-finish', httpClientKeepAliveReleaseBeforeFinish],
  ['test-http-client-set-timeout', httpClientSetTimeout],
  ['test-http-client-timeout-agent', httpClientTimeoutAgent],
  ['test-http-client-timeout-event', httpClientTimeoutEvent],
  ['test-http-keep-alive', httpKeepAlive],
  ['test-http-keep-alive-close-on-header', httpKeepAliveCloseOnHeader],
  ['test-http-keep-alive-drop-requests', httpKeepAliveDropRequests],
  ['test-http-keep-alive-max-requests', httpKeepAliveMaxRequests],
  ['test-http-keep-alive-pipeline-max-requests', httpKeepAlivePipelineMaxRequests],
  ['test-http-keep-alive-timeout', httpKeepAliveTimeout],
  ['test-http-keep-alive-timeout-custom', httpKeepAliveTimeoutCustom],
  ['test-http-keep-alive-timeout-race-condition', httpKeepAliveTimeoutRaceCondition],
  ['test-http-keepalive-free', httpKeepaliveFree],
  ['test-http-keepalive-override', httpKeepaliveOverride],
  ['test-http-keepalive-request', httpKeepaliveRequest],
  ['test-http-server-close-all', httpServerCloseAll],
  ['test-http-server-close-destroy-timeout', httpServerCloseDestroyTimeout],
  ['test-http-server-close-idle', httpServerCloseIdle],
  ['test-http-server-close-idle-wait-response', httpServerCloseIdleWaitResponse],
];

/** The names of the ported Node tests (`test-http-…`, as in Node's test/parallel). */
export const HTTP_PORTS: readonly string[] = PORTS.map(([name]) => name);

/** Options of {@link describeHttpPorts}. */
export interface DescribeHttpPortsOptions {
  /** Ports that cannot run on this backend, by name, each with the reason (listed as skipped). */
  skip?: Readonly<Record<string, string>>;
  /** Known failures (`it.fails`) that pass on this backend, by name, each with the reason: run as tests. */
  passes?: Readonly<Record<string, string>>;
}

/**
 * Registers every http port in a `describe` block named `name`, each test with a fresh pair of
 * `backends`. Call it at the top level of a test file.
 */
export function describeHttpPorts(
  name: string,
  backends: HttpPortBackends,
  options: DescribeHttpPortsOptions = {},
): void {
  describePorts('describeHttpPorts', name, PORTS, () => new NodeHttpTest(backends), options);
}

export type { HttpAdapter, HttpPortBackends, SecureAgent, SecureAgentOptions } from './support.js';
export { NodeHttpTest } from './support.js';
