/**
 * Compiles the schema that the ALSA tests' `midl peer` and `midl send` load (tests/helpers/ops-schema.ts)
 * with the built CLI (`npm run build` first), on the host, before .ci/run starts the guests. The entry
 * lands in the CLI's schema cache beside the packages (node_modules/.cache/midl, cli/schema-runtime.ts),
 * which the guest can read though it mounts the tree read-only: its first CLI start then finds the
 * schema compiled and skips the TypeScript compiler, about 20 s of the emulated CPU. A cache miss in the
 * guest is still correct (it compiles into its temp dir), only slower.
 *
 * usage: node --import tsx tests/alsa/prepare-schema-cache.ts
 */
import { removeTempProjects } from '../helpers/cli.ts';
import { opsProject } from '../helpers/ops-schema.ts';

interface SchemaRuntime {
  readonly loadSchema: (schemaPath: string) => Promise<{ readonly cacheDir: string } | undefined>;
}

// The compiled module, as the guest's CLI runs it: the cache layout differs between source and build.
const built = new URL('../../dist/cli/schema-runtime.js', import.meta.url);
const { loadSchema } = (await import(built.href)) as SchemaRuntime;
const { schema } = opsProject();
try {
  const loaded = await loadSchema(schema);
  if (!loaded) throw new Error(`${schema} did not compile (its diagnostics are above)`);
  process.stdout.write(`schema cache for the ALSA guest: ${loaded.cacheDir}\n`);
} finally {
  removeTempProjects();
}
