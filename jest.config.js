/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    // cookie 2 (under fastify's inject) ships ES modules only; jest loads CommonJS.
    '/node_modules/cookie/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
  testTimeout: 120000,
  setupFiles: ['<rootDir>/test/helpers/closed-channel-retry-setup.ts'],
  // Each file starts its own Temporal server (and often a PostgreSQL), and most of a file's time
  // is waiting on them: two files at once keep a 2-core machine busy without starving either.
  // Timing never decides a test (they poll), so a slower file is only slower.
  maxWorkers: 2,
};
