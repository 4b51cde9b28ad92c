// ESLint flat config: typescript-eslint plus the dependency rules of DESIGN.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PURE_LIB_MESSAGE =
  'libs/dp and libs/crypto are pure: they import only their own files and node:crypto (no framework, no other lib, no I/O).';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.conclave/**', 'coverage/**', 'apps/console/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        AbortSignal: 'readonly',
        Headers: 'readonly',
        NodeJS: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unsafe-function-type': 'off', // TypeORM and Nest take class constructors as Function
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the Rng seam (node:crypto), never Math.random.' },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.medium-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Only libs/db (and the migrations it runs) may touch TypeORM.
    files: ['**/*.ts'],
    ignores: ['libs/db/**', 'migrations/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'typeorm', message: 'Only libs/db imports TypeORM.' },
            { name: '@nestjs/typeorm', message: 'Only libs/db imports TypeORM.' },
          ],
        },
      ],
    },
  },
  {
    // Libraries never depend on applications.
    files: ['libs/**/*.ts'],
    ignores: ['libs/db/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'typeorm', message: 'Only libs/db imports TypeORM.' },
            { name: '@nestjs/typeorm', message: 'Only libs/db imports TypeORM.' },
          ],
          patterns: [{ group: ['@conclave/app-*'], message: 'Libraries must not import applications.' }],
        },
      ],
    },
  },
  {
    // The privacy and crypto cores: no framework, no other lib, no I/O, no Math.random.
    files: ['libs/dp/src/**/*.ts', 'libs/crypto/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ImportDeclaration[source.value!=/^(\\.{1,2}\\/|node:crypto$)/]', message: PURE_LIB_MESSAGE },
        { selector: 'ExportAllDeclaration[source.value!=/^\\.{1,2}\\//]', message: PURE_LIB_MESSAGE },
        { selector: 'ExportNamedDeclaration[source.value!=/^\\.{1,2}\\//][source]', message: PURE_LIB_MESSAGE },
        { selector: 'ImportExpression', message: PURE_LIB_MESSAGE },
        { selector: "CallExpression[callee.name='require']", message: PURE_LIB_MESSAGE },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: PURE_LIB_MESSAGE },
        { name: 'process', message: PURE_LIB_MESSAGE },
        { name: 'require', message: PURE_LIB_MESSAGE },
        { name: 'XMLHttpRequest', message: PURE_LIB_MESSAGE },
        { name: 'WebSocket', message: PURE_LIB_MESSAGE },
      ],
    },
  },
  {
    // libs/crypto may also import node-seal (SEAL in WebAssembly); otherwise the same rules as above.
    files: ['libs/crypto/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportDeclaration[source.value!=/^(\\.{1,2}\\/|node:crypto$|node-seal(\\/|$))/]',
          message: PURE_LIB_MESSAGE,
        },
        { selector: 'ExportAllDeclaration[source.value!=/^\\.{1,2}\\//]', message: PURE_LIB_MESSAGE },
        { selector: 'ExportNamedDeclaration[source.value!=/^\\.{1,2}\\//][source]', message: PURE_LIB_MESSAGE },
        { selector: 'ImportExpression', message: PURE_LIB_MESSAGE },
        { selector: "CallExpression[callee.name='require']", message: PURE_LIB_MESSAGE },
      ],
    },
  },
);
