import { defineConfig } from 'vitest/config';

/**
 * `npm test`: every test but the slow integration suites (`*.slow.test.ts`: real `midl` processes talking
 * over sockets for seconds, loss runs, mDNS, CLI fuzzing), so that it stays under three minutes.
 * `npm run test:slow` runs those (vitest.slow.config.ts); `.ci/run` runs both. Tests that need an ALSA
 * sequencer (tests/alsa) run in a QEMU guest from `.ci/run` (vitest.alsa.config.ts).
 */
export const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks',
} as const;

export default defineConfig({
  test: {
    ...shared,
    // Vitest leaves a core free by default (one worker on a 2-core machine); these tests wait on
    // sockets and child processes often enough that two workers finish in about half the time.
    maxWorkers: 2,
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/**/*.slow.test.ts', 'tests/alsa/**', 'node_modules/**'],
  },
});
