/**
 * The one way a group of ports is registered: a `describe` per port, a fresh test object per test,
 * and the backend's skips (each with its reason) in place of the ports they name.
 * @module
 */
import { describe, it } from 'vitest';
import { type NodeCommon, useNodeTest } from '../node-common/common.js';

/** A port: registers its tests (`it`) for the current test's object. */
export type Port<T> = (current: () => T) => void;

/** What a backend says about the ports: which it skips, and which known failures it passes. */
export interface PortOptions {
  /** Ports that cannot run on this backend, by name, each with the reason (listed as skipped). */
  skip?: Readonly<Record<string, string>>;
  /**
   * Ports marked as known failures (`it.fails`, a bug of another backend) that pass on this one, by
   * name, each with the reason: they run as plain tests here, so a regression fails them.
   */
  passes?: Readonly<Record<string, string>>;
}

/** Registers `ports` in a `describe` named `name`, with the backend's {@link PortOptions}. */
export function describePorts<T extends NodeCommon>(
  what: string,
  name: string,
  ports: readonly (readonly [string, Port<T>])[],
  create: () => T,
  options: PortOptions = {},
): void {
  const skip = options.skip ?? {};
  const passes = options.passes ?? {};
  for (const ported of [...Object.keys(skip), ...Object.keys(passes)])
    if (!ports.some(([port]) => port === ported)) throw new Error(`${what}: no port named ${ported}`);
  describe(name, () => {
    const current = useNodeTest(create);
    for (const [port, register] of ports) {
      describe(port, () => {
        const reason = skip[port];
        if (reason !== undefined) it.skip(`${port} (skipped: ${reason})`, () => {});
        else if (passes[port] !== undefined) registerPassing(what, port, () => register(current));
        else register(current);
      });
    }
  });
}

/** Runs `register` with `it.fails` standing for `it`, and checks the port did mark a known failure. */
function registerPassing(what: string, port: string, register: () => void): void {
  const chain = it as unknown as { fails: unknown };
  const fails = chain.fails;
  let marked = false;
  const asPlain = (...args: Parameters<typeof it>) => {
    marked = true;
    return it(...args);
  };
  try {
    chain.fails = asPlain;
  } catch {
    // vitest's own chain may not take the assignment.
  }
  if (chain.fails !== asPlain)
    throw new Error(
      `${what}: this test runner's it.fails cannot be replaced, so ${port} cannot be run as passing`,
    );
  try {
    register();
  } finally {
    chain.fails = fails;
  }
  if (!marked) throw new Error(`${what}: ${port} is listed as passing, but it marks no known failure`);
}
