import { defineConfig } from 'vitest/config';
import { shared } from './vitest.config.ts';

/**
 * Slow suites that measure their own running time (that the time grows linearly with the input: a
 * ratio of timings) and so must have the machine to themselves. Name such a file `*linear.slow.test.ts`.
 */
const TIMED = 'tests/**/*linear.slow.test.ts';

/**
 * `npm run test:slow`: the slow integration suites that `npm test` leaves out (see vitest.config.ts).
 * They mostly wait on sockets and child processes, so two workers run them in about half the time; the
 * timed ones then run alone, one file at a time, once the others have finished (groupOrder).
 */
export default defineConfig({
  test: {
    ...shared,
    projects: [
      {
        extends: true,
        test: { name: 'slow', include: ['tests/**/*.slow.test.ts'], exclude: [TIMED], maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'slow-timed', include: [TIMED], maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
