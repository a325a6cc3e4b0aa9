// The consumer project's jest configuration: plain CommonJS tests, nothing to transform.
module.exports = { testEnvironment: 'node', testMatch: ['**/*.test.js'], testTimeout: 120000, transform: {} };
