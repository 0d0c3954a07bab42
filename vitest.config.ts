import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    // The services are real (FerretDB, Synapse): give them time, and keep the two cores for them.
    testTimeout: 60_000,
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    // matrix-js-sdk (the second client of the encryption tests) turns its crypto library's debug tracing on.
    onConsoleLog: (log) => !/matrix_sdk_crypto|^\s+(at|in) |^\[![^\]]+ encryption\]/.test(log),
  },
});
