/**
 * `@wsasec/conformance/node-common`: Node's `test/common` for ports of Node's `test/parallel`
 * tests (mustCall and friends, Countdown, bounded cleanup). Test support, not a runtime API.
 */
export {
  CONTROL,
  Countdown,
  delay,
  HOST,
  NodeCommon,
  platformTimeout,
  portOf,
  useNodeTest,
} from './common.js';
