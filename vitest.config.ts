import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '.cache/**', 'data/**', 'dist/**', 'ui/dist/**'],
    // chDB allows one data directory per process: every test file gets a fresh child process.
    // isolate: true (the default, stated because it matters) stops vitest reusing a fork across files.
    pool: 'forks',
    isolate: true,
    globalSetup: ['test/support/global-setup.ts'],
    maxWorkers: 2, // 2 cores; Kafka and Redis need some CPU too
    testTimeout: 120_000, // a loaded CI host: integration files wait up to 30–60 s per step
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
})
