// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      'coverage/**',
      'node_modules/**',
      'eslint.config.mjs',
      'jest.config.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      sourceType: 'commonjs',
      parserOptions: { ecmaVersion: 2022 },
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // A library's public API is its index.ts (and its testing entry): nothing reaches past it.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@livegate/[^/]+/(?!testing$).+',
              message:
                'Import a Livegate library through its public entry (@livegate/<name>, or @livegate/<name>/testing).',
            },
            {
              regex: '(^|/)libs/[^/]+/src(/|$)|^(\\.\\./)+(state|auth|oauth|live-auth)/src(/|$)',
              message:
                "Another library's internals are private: import it as @livegate/<name> instead of by path.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', 'libs/*/src/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
