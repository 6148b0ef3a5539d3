import { readdirSync } from 'node:fs';
import { defineConfig } from 'tsup';

// Every runnable example becomes dist/examples/<name>.js; contoso-realm.ts and sample-policy.ts are
// shared modules.
const SHARED = new Set(['contoso-realm.ts', 'sample-policy.ts']);
const examples = Object.fromEntries(
  readdirSync('examples')
    .filter((file) => file.endsWith('.ts') && !SHARED.has(file))
    .map((file) => [`examples/${file.slice(0, -3)}`, `examples/${file}`]),
);

export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'ci-app/server': 'ci-app/server.ts', ...examples },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
