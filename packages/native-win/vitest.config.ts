import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The mingw-w64 ABI test runs on its own (`test:abi`, vitest.abi.config.ts), where it is required.
    exclude: [...configDefaults.exclude, 'test/abi-mingw.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The FinalizationRegistry safety net of peer tokens is tested with an explicit gc().
    execArgv: ['--expose-gc'],
  },
});
