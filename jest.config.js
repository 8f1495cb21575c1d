/** Jest in ESM mode (run with NODE_OPTIONS=--experimental-vm-modules): ts-jest transpiles, `pnpm typecheck` type-checks. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  testMatch: [
    '<rootDir>/packages/*/test/**/*.test.ts',
    '<rootDir>/actions/*/test/**/*.test.ts',
    '<rootDir>/test/**/*.test.ts',
  ],
  moduleNameMapper: {
    '^@nat-egress/shared/(.*)$': '<rootDir>/packages/shared/src/$1/index.ts',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }],
  },
  testTimeout: 60000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.cjs'],
};
