// Lint: typed rules (no floating promises), no import cycles, and pure workflow code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', '.tapflow/', 'coverage/', 'artifacts/', 'examples/**/*.js', 'bin/', '*.config.*', 'test/package/consumer/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    // Resolve `./x` to `./x.ts`, so the import rules (cycles, the parts' layers) see every import.
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
      // Without these the import rules skip TypeScript files when they follow an import.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      'import-x/no-cycle': 'error',
    },
  },
  {
    // The parts of src/ and the one way they may import each other (lowest first): each part
    // imports only parts below it. A part listed under `may` is allowed; anything else in src/ is not.
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: Object.entries({
            core: ['core'],
            workflows: ['core', 'workflows'],
            store: ['core', 'store'],
            observability: ['core', 'workflows', 'store', 'observability'],
            activities: ['core', 'workflows', 'store', 'observability', 'activities'],
            control: ['core', 'workflows', 'store', 'control'],
            bundle: ['core', 'workflows', 'control', 'bundle'],
            'client.ts': ['core', 'workflows', 'store', 'control'],
            'index.ts': ['core', 'workflows', 'control', 'client.ts'],
            notifications: ['core', 'store', 'observability', 'notifications'],
            'worker.ts': ['core', 'workflows', 'store', 'observability', 'activities', 'control', 'bundle', 'notifications'],
            api: ['core', 'workflows', 'store', 'observability', 'control', 'client.ts', 'api'],
            devstack: ['core', 'workflows', 'store', 'observability', 'control', 'devstack'],
            testing: ['core', 'workflows', 'store', 'observability', 'activities', 'control', 'bundle', 'notifications', 'client.ts', 'worker.ts', 'devstack', 'testing'],
          }).map(([part, may]) => ({
            target: `./src/${part}`,
            from: './src',
            except: may.map((m) => `./${m}`),
            message: `${part} may import only ${may.join(', ')}`,
          })),
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins, no
    // worker/client/activity SDKs. Type-only imports are fine. The core is imported by workflow
    // code, so it keeps the same rules (reading spec files from YAML text is the one exception).
    files: ['src/workflows/**/*.ts', 'src/core/**/*.ts'],
    ignores: ['src/core/parse.ts', 'src/core/yaml-limits.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process', 'http', 'https', 'net'], message: 'workflow code must not use Node built-ins', allowTypeImports: true },
            { group: ['pg', 'yaml', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing'], message: 'workflow code must stay deterministic: no I/O or non-workflow SDKs', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    // The core holds no Temporal workflow APIs either: the client and the API load it.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', { name: 'Buffer', message: 'the core is pure: no Node globals' }, { name: 'process', message: 'the core is pure: no Node globals' }],
    },
  },
  {
    // The operator console: plain ES modules run by the browser.
    files: ['console/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },
  {
    // Plain CommonJS files (test fixtures loaded by the command line as a user's module would be).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The fault-injection suite, the benchmarks and the setup scripts: plain Node ES modules.
    files: ['chaos/**/*.mjs', 'bench/**/*.mjs', 'scripts/**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
