import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The leak scan reads the sim's human log too (test/setup-debuglog.ts routes it).
    env: { NODE_DEBUG: 'wsasec:sim' },
    setupFiles: ['test/setup-debuglog.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
