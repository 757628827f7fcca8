/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test', '<rootDir>/bench'],
  // Built packages (libs/<name>/dist) are not sources: never resolved or scanned by the tests.
  modulePathIgnorePatterns: ['<rootDir>/libs/[^/]+/dist/', '<rootDir>/dist/'],
  testEnvironment: 'node',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleNameMapper: {
    '^@livegate/state$': '<rootDir>/libs/state/src',
    '^@livegate/state/testing$': '<rootDir>/libs/state/src/testing',
    '^@livegate/auth$': '<rootDir>/libs/auth/src',
    '^@livegate/auth/testing$': '<rootDir>/libs/auth/src/testing',
    '^@livegate/oauth$': '<rootDir>/libs/oauth/src',
    '^@livegate/oauth/testing$': '<rootDir>/libs/oauth/src/testing',
  },
  testTimeout: 20000,
  verbose: true,
};
