import { openStoreOption } from './open-store.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { compileJobs, publishPlan } from './compile-jobs.ts';
import { dryRunReport, summary } from './change-report.ts';
import { publishJobs } from './publish.ts';
import { reportRegistryFailure } from './report-error.ts';

export interface PublishCommandOptions {
  store?: string;
  dryRun?: boolean;
  config?: string;
  program?: string;
}

/** What `midl publish` does (commands/publish.ts defines its options). */
export async function runPublish(paths: readonly string[], opts: PublishCommandOptions, setExit: SetExitCode): Promise<void> {
  if (opts.program !== undefined && paths.length === 0)
    throw new UsageError('--program names the program of paths given on the command line; the jobs of midl.yaml have their own names');
  const jobs = await compileJobs(publishPlan(paths, opts.config, opts.program));
  if (!jobs) return setExit(ExitCode.Failure);
  const store = openStoreOption(opts.store);
  try {
    const changes = await publishJobs(store, jobs, { dryRun: opts.dryRun === true });
    if (opts.dryRun) process.stdout.write(dryRunReport(changes));
    else process.stdout.write(summary(changes));
    process.stderr.write(`${opts.dryRun ? 'dry run: nothing written to' : 'published to'} ${store.description}\n`);
    setExit(ExitCode.Ok);
  } catch (err) {
    if (!reportRegistryFailure(err)) throw err;
    setExit(ExitCode.Failure);
  } finally {
    await store.close();
  }
}
