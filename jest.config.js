/** Jest runs TypeScript through ts-jest as native ES modules (see scripts/test.sh for the Node flag). */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  globalSetup: '<rootDir>/test/fixtures/global-setup.mjs',
  globalTeardown: '<rootDir>/test/fixtures/global-teardown.mjs',
  testTimeout: 120000,
  maxWorkers: 2,
};
