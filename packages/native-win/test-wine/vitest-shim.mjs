// The few vitest APIs @wsasec/conformance uses, on node:test and node:assert, so the conformance
// suite runs inside Windows Node under Wine without vitest (test-wine/conformance.test.mjs maps the
// 'vitest' import here with a module hook).
import assert from 'node:assert/strict';
import * as t from 'node:test';
import { inspect, isDeepStrictEqual } from 'node:util';

const SKIPPED = Symbol('skipped');

export const describe = (name, fn) => t.describe(name, fn);
export const beforeAll = (fn) => t.before(() => fn());
export const afterAll = (fn) => t.after(() => fn());
export const beforeEach = (fn) => t.beforeEach(() => fn());
export const afterEach = (fn) => t.afterEach(() => fn());

export function it(name, fn, timeout) {
  return t.it(name, { timeout: typeof timeout === 'number' ? timeout : 30_000 }, async (context) => {
    const vitestContext = {
      skip(note) {
        context.skip(note);
        throw SKIPPED;
      },
    };
    try {
      await fn(vitestContext);
    } catch (error) {
      if (error !== SKIPPED) throw error;
    }
  });
}
it.skip = (name) => t.it(name, { skip: true }, () => {});
// vitest's it.fails: passes when the test fails (a throw, a rejection, or its timeout), and fails
// when it passes — a known failure that was fixed must be flipped back to it.
it.fails = (name, fn, timeout) =>
  t.it(`${name} (known failure)`, { timeout: 60_000 }, async () => {
    const ms = typeof timeout === 'number' ? timeout : 5_000;
    let timer;
    const outcome = await Promise.race([
      Promise.resolve()
        .then(() => fn({}))
        .then(
          () => 'passed',
          () => 'failed',
        ),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('failed'), ms);
      }),
    ]);
    clearTimeout(timer);
    if (outcome === 'passed')
      throw new assert.AssertionError({
        message: `${name} passed, but is marked as a known failure (it.fails): flip it to it`,
      });
  });
it.skipIf = (condition) => (condition ? it.skip : it);
export const test = it;

// Drops undefined-valued properties, as vitest's toEqual ignores them.
function plain(value) {
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, plain(v)]),
    );
  }
  return value;
}

export function expect(actual, message) {
  const matchers = (negate) => {
    const check = (pass, what) => {
      if (pass !== negate) return;
      throw new assert.AssertionError({
        message: `${message ? `${message}: ` : ''}expected ${inspect(actual, { depth: 4 })} ${negate ? 'not ' : ''}${what}`,
        actual,
      });
    };
    return {
      toBe: (expected) => check(Object.is(actual, expected), `to be ${inspect(expected)}`),
      toEqual: (expected) =>
        check(
          isDeepStrictEqual(plain(actual), plain(expected)),
          `to equal ${inspect(expected, { depth: 4 })}`,
        ),
      toBeUndefined: () => check(actual === undefined, 'to be undefined'),
      toBeNull: () => check(actual === null, 'to be null'),
      toBeDefined: () => check(actual !== undefined, 'to be defined'),
      toBeGreaterThan: (n) => check(actual > n, `to be greater than ${n}`),
      toBeGreaterThanOrEqual: (n) => check(actual >= n, `to be at least ${n}`),
      toMatch: (pattern) =>
        check(
          typeof pattern === 'string' ? String(actual).includes(pattern) : pattern.test(String(actual)),
          `to match ${pattern}`,
        ),
      toHaveLength: (n) => check(actual?.length === n, `to have length ${n}`),
      toContain: (item) => check(actual?.includes?.(item) === true, `to contain ${inspect(item)}`),
    };
  };
  return Object.assign(matchers(false), { not: matchers(true) });
}
