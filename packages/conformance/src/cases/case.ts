import type { CaseContext } from '../run/context.js';
import type { Capability } from '../types.js';

/** One conformance case. */
export interface ConformanceCase {
  /** The describe block it belongs to. */
  readonly group: string;
  /** Unique title (the key of `skip`). */
  readonly title: string;
  /** Capabilities the case needs; any missing one skips it. */
  readonly needs: readonly Capability[];
  readonly run: (ctx: CaseContext) => Promise<void> | void;
}
