import type { StoreBackend } from '../../runtime/store/index.ts';
import type { CompiledJob } from './compile-jobs.ts';
import { jobDocuments } from './documents.ts';
import { applyPublish, planPublish, type Change } from './publish-plan.ts';

/**
 * Publishes compiled jobs to `store`: plans every document against what the store holds (refusing
 * drift before anything is written), then, unless `dryRun`, writes what was created or changed and
 * removes what a program no longer has. Returns the plan; throws `RegistryError` or `StoreError`.
 */
export async function publishJobs(store: StoreBackend, jobs: readonly CompiledJob[], options: { dryRun?: boolean } = {}): Promise<Change[]> {
  const changes = await planPublish(
    store,
    jobs.flatMap(jobDocuments),
    jobs.map((j) => j.program),
  );
  if (!options.dryRun) await applyPublish(store, changes);
  return changes;
}
