import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The FinalizationRegistry safety net of peer tokens is tested with an explicit gc().
    execArgv: ['--expose-gc'],
  },
});
