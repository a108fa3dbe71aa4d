// Runs the fixtures of test/support/gateway-file.test.ts (files whose set-up must fail), apart
// from the suite: the repository's vitest.config.ts takes only *.test.ts.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['*.fixture.ts'],
    pool: 'forks',
    isolate: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
