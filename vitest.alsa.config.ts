import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { shared } from './vitest.config.ts';

/**
 * Where vitest keeps the modules it transformed (its experimental fsModuleCache), when set: .ci/run
 * fills one on the host with `vitest list` and the guest runs on a copy in /dev/shm, instead of
 * transforming the runtime's and the tests' TypeScript on its emulated CPU (about 45 s of a boot). A
 * module the cache lacks is transformed as usual; with the variable unset nothing is cached.
 */
const moduleCache = process.env['MIDL_ALSA_MODULE_CACHE'];

/**
 * The tests that need a real ALSA sequencer (tests/alsa), run inside the QEMU guest of
 * ../shared/tools/alsa-vm.sh by .ci/run. The guest mounts the tree read-only, so vitest's cache goes to
 * the temp dir (TMPDIR=/dev/shm there); the guest has one slow CPU, so one worker, and the CLI the tests
 * spawn is the compiled one (tests/helpers/midl-built.mjs: run `npm run build` first), which starts in a
 * third of the time tsx takes there.
 */
export default defineConfig({
  cacheDir: join(tmpdir(), 'midl-vitest-alsa'),
  test: {
    ...shared,
    maxWorkers: 1,
    include: ['tests/alsa/**/*.test.ts'],
    env: { MIDL_TEST_CLI: 'built' },
    ...(moduleCache ? { experimental: { fsModuleCache: true, fsModuleCachePath: moduleCache } } : {}),
  },
});
