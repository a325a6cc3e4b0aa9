// Lint: typed rules (no floating promises), no import cycles, and pure workflow code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', '.tapflow/', 'coverage/', 'artifacts/', 'examples/**/*.js', 'bin/', '*.config.*'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      'import-x/no-cycle': 'error',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins, no
    // worker/client/activity SDKs. Type-only imports are fine.
    files: ['src/workflows/**/*.ts', 'src/pipeline/**/*.ts'],
    ignores: ['src/pipeline/parse.ts', 'src/pipeline/yaml-limits.ts'],
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
    // The operator console: plain ES modules run by the browser.
    files: ['console/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
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
