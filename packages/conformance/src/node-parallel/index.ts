/**
 * `@wsasec/conformance/node-parallel`: Node's own test/parallel tests, ported so that any backend
 * runs them in place of Node's net and http (`describeNetPorts`, `describeHttpPorts`). Test support, not a runtime API.
 * @packageDocumentation
 */
export {
  type DescribeHttpPortsOptions,
  describeHttpPorts,
  HTTP_PORTS,
  type HttpAdapter,
  type HttpPortBackends,
  NodeHttpTest,
} from './http/index.js';
export {
  type DescribeNetPortsOptions,
  describeNetPorts,
  NET_PORTS,
  type NetPortBackends,
  NodeNetTest,
} from './net/index.js';
