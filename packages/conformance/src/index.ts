/**
 * `@wsasec/conformance`: one behavioural test suite every wsasec backend must pass. A backend's
 * test file is a single {@link describeBackend} call; the suite speaks only the `@wsasec/core`
 * contract, so two backends that pass it behave alike for every case it names.
 * @packageDocumentation
 */
import { ALL_CASES } from './cases/all.js';

export { describeBackend } from './run/describe.js';
export type {
  Capability,
  ConformanceCapabilities,
  ConformanceFixture,
  DescribeBackendOptions,
} from './types.js';

/** Every case title, in run order: the keys `describeBackend({ skip })` accepts. */
export const CONFORMANCE_CASES: readonly string[] = Object.freeze(ALL_CASES.map((c) => c.title));

/** Every case title with the capabilities it needs, for backends that document their gaps. */
export const CONFORMANCE_CASE_NEEDS: Readonly<Record<string, readonly string[]>> = Object.freeze(
  Object.fromEntries(ALL_CASES.map((c) => [c.title, c.needs])),
);
