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
    // openid-client, oauth4webapi and jose ship ES modules only: Jest (CommonJS) needs them
    // transformed; Node itself loads them from CommonJS through require(esm).
    '^.+/node_modules/(openid-client|oauth4webapi|jose)/.+\\.js$': [
      'ts-jest',
      {
        tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true },
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(openid-client|oauth4webapi|jose)/)'],
  moduleNameMapper: {
    '^@livegate/state$': '<rootDir>/libs/state/src',
    '^@livegate/state/testing$': '<rootDir>/libs/state/src/testing',
    '^@livegate/auth$': '<rootDir>/libs/auth/src',
    '^@livegate/auth/testing$': '<rootDir>/libs/auth/src/testing',
    '^@livegate/oauth$': '<rootDir>/libs/oauth/src',
    '^@livegate/oauth/testing$': '<rootDir>/libs/oauth/src/testing',
    '^@livegate/live-auth$': '<rootDir>/libs/live-auth/src',
    '^@livegate/live-auth/testing$': '<rootDir>/libs/live-auth/src/testing',
  },
  testTimeout: 20000,
  verbose: true,
};
