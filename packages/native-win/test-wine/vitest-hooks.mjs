// Module hook: 'vitest' resolves to the node:test shim (see vitest-shim.mjs).
export async function resolve(specifier, context, next) {
  if (specifier === 'vitest')
    return { url: new URL('./vitest-shim.mjs', import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
