import { defineConfig } from 'vitest/config';
import { shared } from './vitest.config.ts';

/** `npm run test:slow`: the slow integration suites that `npm test` leaves out (see vitest.config.ts). */
export default defineConfig({
  test: {
    ...shared,
    include: ['tests/**/*.slow.test.ts'],
  },
});
