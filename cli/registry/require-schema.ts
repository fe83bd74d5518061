import { openStoreOption } from './open-store.ts';
import { planFor } from '../schema-runtime.ts';
import { compileJobs, namedPlan } from './compile-jobs.ts';
import { checkPublishedSchema } from './published-schema.ts';
import { reportRegistryFailure } from './report-error.ts';

/**
 * `midl peer --require-schema`: whether the store (`--store`, else $FOUNTAINSTORE_DIR or
 * .fountain/store) holds the schema the peer serves, as `midl publish` wrote it. Prints why not
 * (`error[missing]` / `error[mismatch]` with a `help:`) and returns false; the peer then does not start.
 */
export async function requirePublishedSchema(schemaPath: string | undefined, storeSpec: string | undefined): Promise<boolean> {
  // The facts are all a check needs generated: the packages' hashes come from the compile itself.
  const paths = schemaPath === undefined || /\.ya?ml$/i.test(schemaPath) ? [] : [schemaPath];
  const jobs = await compileJobs(namedPlan(planFor(schemaPath), paths), { targets: ['facts'] });
  if (!jobs) return false;
  const store = openStoreOption(storeSpec);
  try {
    await checkPublishedSchema(store, jobs);
    process.stderr.write(
      `--require-schema: ${store.description} holds this schema (${jobs.flatMap((j) => j.packages.map((p) => `${p.name}@${p.version}`)).join(', ')})\n`,
    );
    return true;
  } catch (err) {
    if (!reportRegistryFailure(err)) throw err;
    return false;
  } finally {
    await store.close();
  }
}
