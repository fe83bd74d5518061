import { defineConfig } from 'vitest/config';

/**
 * `npm test`: every test but the slow integration suites (`*.slow.test.ts`: real `midl` processes talking
 * over sockets for seconds, loss runs, mDNS, CLI fuzzing), so that it stays under three minutes.
 * `npm run test:slow` runs those (vitest.slow.config.ts); `.ci/run` runs both.
 */
export const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks',
} as const;

export default defineConfig({
  test: {
    ...shared,
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/**/*.slow.test.ts', 'node_modules/**'],
  },
});
