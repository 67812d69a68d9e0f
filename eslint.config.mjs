// @ts-check
// ESLint: typescript-eslint's recommended type-checked rules, types from tsconfig.json.
// `npm run lint` runs it after Prettier (formatting is Prettier's alone: none of these rules
// is about layout).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'coverage/',
      'test-artifacts/',
      '.data/',
      'test/clients/generated/',
      'web/src/graphql/generated.ts',
    ],
  },
  {
    // A disable comment that no longer silences anything fails like a finding.
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Apollo plugin hooks and graphql-shield rules must return promises: an `async` without
      // `await` is how they are written. no-floating-promises and no-misused-promises stay on.
      '@typescript-eslint/require-await': 'off',
      // `const { a: _a, ...rest } = o` drops a field; `_name` marks a parameter kept for its position.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The web app is type-checked against its own tsconfig (DOM, JSX, bundler resolution).
    files: ['web/**/*.{ts,tsx}'],
    languageOptions: {
      parserOptions: { project: './web/tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    // The service logs through its logger (request ids, levels, redaction), never the console.
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Test files and benchmarks read untyped JSON answers (response bodies, NDJSON and CSV
    // exports, database rows) and check them with expect(): the no-unsafe-* family would flag
    // every such read. Helpers under test/helpers keep the full rules: they are where answers
    // get their types. An `any` written by hand is still reported (no-explicit-any).
    files: ['test/**/*.test.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Configuration files in JavaScript (jest.config.js, this file): no type information.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly' },
    },
  },
);
