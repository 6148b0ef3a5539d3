/**
 * The one way a group of ports is registered: a `describe` per port, a fresh test object per test,
 * and the backend's skips (each with its reason) in place of the ports they name.
 * @module
 */
import { describe, it } from 'vitest';
import { type NodeCommon, useNodeTest } from '../node-common/common.js';

/** A port: registers its tests (`it`) for the current test's object. */
export type Port<T> = (current: () => T) => void;

/** Registers `ports` in a `describe` named `name`; `skip` names ports by name, each with the reason. */
export function describePorts<T extends NodeCommon>(
  what: string,
  name: string,
  ports: readonly (readonly [string, Port<T>])[],
  create: () => T,
  skip: Readonly<Record<string, string>> = {},
): void {
  for (const ported of Object.keys(skip))
    if (!ports.some(([port]) => port === ported)) throw new Error(`${what}: no port named ${ported}`);
  describe(name, () => {
    const current = useNodeTest(create);
    for (const [port, register] of ports) {
      describe(port, () => {
        const reason = skip[port];
        if (reason !== undefined) it.skip(`${port} (skipped: ${reason})`, () => {});
        else register(current);
      });
    }
  });
}
