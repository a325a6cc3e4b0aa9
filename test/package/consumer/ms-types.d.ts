// The `ms` types @temporalio/common's .d.ts imports (`StringValue`, the type of every Duration).
// ms@3.0.0-canary.1 ships them, but its package.json "exports" has no "types", so node16 and
// bundler resolution cannot find them: an error inside the SDK's .d.ts under skipLibCheck: false
// (temporalio/sdk-typescript#1668), not tapflow's. tsconfig "paths" points `ms` here, to the
// same type loaded as the ES module it is. Not needed under the old `node` resolution.
export type StringValue = import('./node_modules/ms/dist/index.js', { with: { 'resolution-mode': 'import' } }).StringValue;
