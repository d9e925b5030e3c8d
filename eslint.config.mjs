// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'test-output/**',
      'bench/results/**',
      // The API reference that `npm run docs` generates (TypeDoc's HTML, CSS and scripts).
      'docs/api/**',
      '*.js',
      '*.mjs',
      // A CommonJS require hook for child processes; outside the TypeScript project.
      'test/helpers/*.cjs',
      // Benchmarks run as plain Node scripts against the built library.
      'bench/*.mjs',
      'bench/*.cjs',
      // Repository scripts (lockfile check, doc-block extraction): plain Node ESM, no TypeScript.
      'scripts/*.mjs',
      // A separate package (NestJS 12, its own node_modules), type-checked by its own strict tsc.
      'test/compat/**',
      // A separate package (a NestJS 11 user's app), type-checked by its own strict tsc.
      'test/consumer/**',
      // CI's preload for the runs on other Node versions (plain CommonJS).
      '.ci/*.cjs',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['libs/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/core/*'],
              message: 'Deep imports of @nestjs/core break across majors.',
            },
            {
              group: [
                'pg',
                'ioredis',
                'bullmq',
                'amqplib',
                'prom-client',
                '@nestjs/terminus',
                '@nestjs/swagger',
              ],
              message: 'Optional peers are loaded lazily, never imported by the library entry.',
            },
          ],
        },
      ],
    },
  },
  {
    // The probe CLI: plain CommonJS for Node, outside the TypeScript project.
    files: ['libs/health/bin/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
