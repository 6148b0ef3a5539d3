import { readdirSync } from 'node:fs';
import { defineConfig } from 'tsup';

// Every runnable example becomes dist/examples/<name>.js; contoso-realm.ts is a shared module.
const examples = Object.fromEntries(
  readdirSync('examples')
    .filter((file) => file.endsWith('.ts') && file !== 'contoso-realm.ts')
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
