import type { StoreBackend } from '../../runtime/store/index.ts';
import type { CompiledJob } from './compile-jobs.ts';
import { jobDocuments } from './documents.ts';
import { RegistryError } from './errors.ts';
import { applyPublish, planPublish, type Change } from './publish-plan.ts';

/**
 * Publishes compiled jobs to `store`: plans every document against what the store holds (refusing
 * drift before anything is written), then, unless `dryRun`, writes what was created or changed and
 * removes what a program no longer has. Returns the plan; throws `RegistryError` (`stale-lock` when
 * midl.lock does not pin a job, `drift`, …) or `StoreError`.
 */
export async function publishJobs(store: StoreBackend, jobs: readonly CompiledJob[], options: { dryRun?: boolean } = {}): Promise<Change[]> {
  // What is published must stay reproducible: bits assigned now but not in midl.lock could move later.
  const unpinned = jobs.filter((j) => !j.lockCurrent).map((j) => j.program);
  if (unpinned.length > 0)
    throw new RegistryError(
      'stale-lock',
      `midl.lock does not pin the capability bits and topic ids of ${unpinned.join(', ')} as they would be published`,
      "run 'midl gen' (it updates midl.lock), commit midl.lock, then publish",
    );
  const changes = await planPublish(
    store,
    jobs.flatMap(jobDocuments),
    jobs.map((j) => j.program),
  );
  if (!options.dryRun) await applyPublish(store, changes);
  return changes;
}
