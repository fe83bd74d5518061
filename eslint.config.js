// Strict lint for hand-written code (`npm run lint`, checked in .ci/run); generated code is checked by
// its own golden tests and `tsc --strict`.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // templates/init/ is the starter project of `midl init`: it imports its own generated code, which exists only in a
  // project made by init, so tests/cli/init.test.ts type-checks it there with tsc --strict, as its users build it.
  { ignores: ['node_modules/', 'dist/', 'generated/', 'runtime/protocol/', 'tests/cases/', '**/expected/', '**/cases/', 'templates/init/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Config files and the bin stub are outside tsconfig's project; they are checked on their own.
        projectService: {
          allowDefaultProject: ['*.js', 'vitest.config.ts', 'vitest.slow.config.ts', 'vitest.alsa.config.ts', 'bin/*.mjs', 'tests/helpers/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Numbers, bigints and booleans read fine in messages; objects and undefined do not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // With noUncheckedIndexedAccess every indexed read is `T | undefined`; decoders index bounds-checked
      // arrays in hot loops, where `!` states what the bounds check proved.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `return done(…)` ends a branch of a function that returns nothing; the house style uses it freely.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // Rethrowing what a catch caught (often a BusError, sometimes a user codec's throw) is not inventing a reason.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // `_name` marks what a signature or a destructuring must mention but does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Plain JavaScript runs on Node: its globals, which TypeScript's checker knows in .ts files.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
