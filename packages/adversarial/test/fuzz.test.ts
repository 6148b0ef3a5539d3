import { afterAll, describe, expect, it } from 'vitest';
import { NATIVE_FUZZ_TARGETS } from '../src/fuzz/native.js';
import { FUZZ_TARGETS } from '../src/fuzz/targets.js';

// The short, bounded run of CI; `pnpm fuzz` runs the same targets far longer.
const RUNS = 400;
const ran: string[] = [];

describe('fuzz (short run)', () => {
  it.each([...FUZZ_TARGETS, ...NATIVE_FUZZ_TARGETS].map((t) => [t.name, t] as const))(
    '%s',
    (_name, target) => {
      const outcome = target.check(RUNS);
      expect(outcome.report).toBe('');
      expect(outcome).toMatchObject({ failed: false, numRuns: RUNS });
      ran.push(target.name);
    },
  );

  afterAll(() => {
    expect(ran).toHaveLength(FUZZ_TARGETS.length + NATIVE_FUZZ_TARGETS.length);
  });
});
