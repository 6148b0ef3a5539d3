import type { Principal } from '@wsasec/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALL_CASES } from '../cases/all.js';
import type { ConformanceFixture, DescribeBackendOptions } from '../types.js';
import { CaseContext } from './context.js';
import { within } from './helpers.js';

/** Time a single case may take, cleanup included. */
const CASE_TIMEOUT_MS = 30_000;

/**
 * Registers the conformance suite for one backend: one vitest `describe` per group, one `it` per
 * case. Cases whose capability is missing are skipped with `it.skipIf`; cases named in `skip` are
 * skipped with the reason in their title. A backend's test file is this one call.
 * @throws Error at collection time when `skip` names a case that does not exist.
 */
export function describeBackend(opts: DescribeBackendOptions): void {
  const skip = opts.skip ?? {};
  const unknown = Object.keys(skip).filter((title) => !ALL_CASES.some((c) => c.title === title));
  if (unknown.length > 0) {
    throw new Error(
      `describeBackend(${opts.name}): skip names cases that do not exist: ${unknown.map((t) => JSON.stringify(t)).join(', ')}; see CONFORMANCE_CASES`,
    );
  }
  describe(`conformance: ${opts.name}`, () => {
    let fixture: ConformanceFixture | undefined;
    let ctx: CaseContext | undefined;
    let selves: { client: Principal; server: Principal } | undefined;

    beforeAll(async () => {
      fixture = await within(Promise.resolve(opts.create()), 'create()');
      selves = { client: fixture.client.currentIdentity(), server: fixture.server.currentIdentity() };
    });
    afterAll(async () => {
      await fixture?.close();
    });
    let tokensBefore = 0;
    beforeEach(() => {
      tokensBefore = fixture?.openTokens?.() ?? 0;
    });
    afterEach(async () => {
      const done = ctx;
      ctx = undefined;
      await done?.cleanup();
      if (fixture && selves) {
        // No case may leave a backend impersonating, nor a token open.
        expect(fixture.client.currentIdentity(), 'client identity after the case').toEqual(selves.client);
        expect(fixture.server.currentIdentity(), 'server identity after the case').toEqual(selves.server);
        if (fixture.openTokens)
          expect(fixture.openTokens(), 'peer tokens the case left open').toBe(tokensBefore);
      }
    });

    const groups = [...new Set(ALL_CASES.map((c) => c.group))];
    for (const group of groups) {
      describe(group, () => {
        for (const c of ALL_CASES.filter((k) => k.group === group)) {
          const reason = skip[c.title];
          if (reason !== undefined) {
            it.skip(`${c.title} (skipped: ${reason})`, () => {});
            continue;
          }
          const missing = c.needs.filter((need) => !opts.capabilities[need]);
          it.skipIf(missing.length > 0)(
            c.title,
            async (test) => {
              if (!fixture) throw new Error('the fixture was not created');
              ctx = new CaseContext(fixture, opts.capabilities, opts.create, (note) => test.skip(note));
              await c.run(ctx);
            },
            CASE_TIMEOUT_MS,
          );
        }
      });
    }
  });
}
