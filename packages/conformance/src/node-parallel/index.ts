/**
 * `@wsasec/conformance/node-parallel`: Node's own test/parallel tests, ported so that any backend
 * runs them in place of Node's net (`describeNetPorts`). Test support, not a runtime API.
 * @packageDocumentation
 */
export {
  type DescribeNetPortsOptions,
  describeNetPorts,
  NET_PORTS,
  type NetPortBackends,
  NodeNetTest,
} from './net/index.js';
