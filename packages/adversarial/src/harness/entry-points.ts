/**
 * The public entry points of the sim, listed from what the package and its objects actually expose
 * (module exports, class methods, backend, server and socket methods), so that a method added later
 * shows up here and must get a fuzz harness.
 * @module
 */
import { Duplex } from 'node:stream';

/** Names of the function-valued properties of `value` and its prototypes, up to (excluding) `stop`. */
export function methodNames(value: object, stop: object | null = Object.prototype): string[] {
  const names = new Set<string>();
  for (let o: object | null = value; o && o !== stop; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(o, name);
      if (d && typeof d.value === 'function') names.add(name);
    }
  }
  return [...names].sort();
}

/** Static methods of a class (not `length`, `name`, `prototype`). */
export function staticNames(cls: abstract new (...args: never[]) => unknown): string[] {
  return Object.getOwnPropertyNames(cls)
    .filter((n) => typeof (cls as unknown as Record<string, unknown>)[n] === 'function')
    .sort();
}

/** Functions exported by a module namespace. */
export function exportedFunctions(namespace: Record<string, unknown>): string[] {
  return Object.keys(namespace)
    .filter((k) => typeof namespace[k] === 'function')
    .sort();
}

/**
 * The methods a socket adds to Node's Duplex: core's secure methods (own properties) and the
 * backend's `net.Socket` surface. Node's stream methods and `_`-prefixed stream hooks are Node's.
 */
export function socketMethodNames(socket: Duplex): string[] {
  const duplex = new Set(methodNames(Duplex.prototype, Object.prototype));
  return methodNames(socket, Duplex.prototype).filter((n) => !duplex.has(n) && !n.startsWith('_'));
}
