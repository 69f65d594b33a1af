import tseslint from 'typescript-eslint';
import vitest from '@vitest/eslint-plugin';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/server/dashboard/assets/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Stages never import each other: only pipeline/, server/, cli and main wire them together.
    files: ['src/issues/**', 'src/analysis/**', 'src/actions/**', 'src/notify/**', 'src/sources/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['../pipeline/*', '../server/*', '../main*', '../cli*'], message: 'stages do not import the wiring' },
      ] }],
    },
  },
  {
    files: ['**/*.test.ts'],
    plugins: { vitest },
    rules: { ...vitest.configs.recommended.rules, 'vitest/expect-expect': 'error' },
  },
);
