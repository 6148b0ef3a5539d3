import { ACCESS_CHECK_CASES } from './access-check.js';
import { BAD_INPUT_CASES } from './bad-input.js';
import { CALL_ORDER_CASES } from './call-order.js';
import type { ConformanceCase } from './case.js';
import { DATA_CASES } from './data.js';
import { DATAGRAM_CASES } from './datagram.js';
import { IMPERSONATION_CASES } from './impersonation.js';
import { INSECURE_CASES } from './insecure.js';
import { LIFECYCLE_CASES } from './lifecycle.js';
import { SETTINGS_CASES } from './settings.js';
import { TARGET_NAME_CASES } from './target-name.js';
import { TOKEN_CASES } from './tokens.js';

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
