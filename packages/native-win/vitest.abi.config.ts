import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/abi-mingw.test.ts'],
    testTimeout: 60_000,
  },
});
