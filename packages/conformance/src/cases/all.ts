import { ACCESS_CHECK_CASES } from './cases-access-check.js';
import { BAD_INPUT_CASES } from './cases-bad-input.js';
import { CALL_ORDER_CASES } from './cases-call-order.js';
import { DATA_CASES } from './cases-data.js';
import { DATAGRAM_CASES } from './cases-datagram.js';
import { IMPERSONATION_CASES } from './cases-impersonation.js';
import { INSECURE_CASES } from './cases-insecure.js';
import { LIFECYCLE_CASES } from './cases-lifecycle.js';
import { SETTINGS_CASES } from './cases-settings.js';
import { TARGET_NAME_CASES } from './cases-target-name.js';
import { TOKEN_CASES } from './cases-tokens.js';
import type { ConformanceCase } from './conformance-types.js';

/** Every case, in the order the suite runs them. */
export const ALL_CASES: readonly ConformanceCase[] = Object.freeze([
  ...CALL_ORDER_CASES,
  ...BAD_INPUT_CASES,
  ...SETTINGS_CASES,
  ...TARGET_NAME_CASES,
  ...TOKEN_CASES,
  ...IMPERSONATION_CASES,
  ...ACCESS_CHECK_CASES,
  ...DATA_CASES,
  ...LIFECYCLE_CASES,
  ...INSECURE_CASES,
  ...DATAGRAM_CASES,
]);

const seen = new Set<string>();
for (const c of ALL_CASES) {
  // Titles are the keys of `skip`: a duplicate would make a skip ambiguous.
  if (seen.has(c.title)) throw new Error(`duplicate conformance case title: ${c.title}`);
  seen.add(c.title);
}
