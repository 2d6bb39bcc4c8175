import js from '@eslint/js';
import regexp from 'eslint-plugin-regexp';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'sdk/dist/',
      'coverage/',
      'node_modules/',
      'src/generated/',
      '.data/',
      '.dependency-cruiser.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  security.configs.recommended,
  {
    rules: {
      // Index access on typed records is everywhere in TypeScript and checked by the compiler.
      'security/detect-object-injection': 'off',
      // No request input reaches a file path: paths come from configuration and scripts only.
      'security/detect-non-literal-fs-filename': 'off',
      // safe-regex's star-height rule warned about 49 patterns that run in linear time (the PII
      // candidates among them); eslint-plugin-regexp analyses each pattern's automaton instead and
      // reports only real super-linear backtracking, and also a "move": a failing run retried from
      // every start, quadratic over the megabytes the scorers scan (it found five such, fixed).
      'security/detect-unsafe-regex': 'off',
    },
  },
  {
    plugins: { regexp },
    rules: {
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
    },
  },
  {
    // A test's inputs are its own, and some patterns are test data (regexTriggers.test.ts).
    files: ['tests/**'],
    rules: { 'regexp/no-super-linear-move': 'off' },
  },
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration from src/config/env.ts.' },
      ],
    },
  },
  {
    files: ['src/**'],
    rules: {
      // ioredis 6 declares `class VerbatimString extends String`; once any class extends String,
      // V8 runs String.prototype.charCodeAt, slice and indexOf 1.7-2.7x slower in the whole
      // process. package.json holds ioredis at 5 (tests/unit/redisClient.test.ts checks), and
      // the server loads it with import() only when REDIS_URL is set (src/server.ts).
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'ioredis',
              allowTypeImports: true,
              message: 'Load ioredis with import() where Redis is configured (see eslint.config.js).',
            },
          ],
        },
      ],
    },
  },
  {
    // Configuration, tooling and tests may read the environment directly.
    files: [
      'src/config/env.ts',
      'scripts/**',
      'tests/**',
      'bench/**',
      'prisma.config.ts',
      'vitest.config.ts',
      'src/db/embeddedPostgres.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
);
