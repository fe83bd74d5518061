import { join, relative, resolve } from 'node:path';
import { writeOutput } from '../../compiler/index.ts';
import { openStoreOption } from './open-store.ts';
import { ExitCode, type SetExitCode } from '../exit.ts';
import { pullProgram, selectPrograms, type PulledProgram } from './pull.ts';
import { reportRegistryFailure } from './report-error.ts';

export interface PullCommandOptions {
  store?: string;
  out: string;
}

/** What `midl pull` does (commands/pull.ts defines its options). */
export async function runPull(names: readonly string[], opts: PullCommandOptions, setExit: SetExitCode): Promise<void> {
  const store = openStoreOption(opts.store);
  try {
    const programs = await selectPrograms(store, names);
    // Everything is read and checked before anything is written: a bad store leaves the directory as it was.
    const pulled: PulledProgram[] = [];
    for (const program of programs) pulled.push(await pullProgram(store, program));
    const out = resolve(opts.out);
    for (const { program, files } of pulled) {
      // One program fills --out, as `midl gen --out` would; several get a directory each.
      const dir = pulled.length === 1 ? out : join(out, program);
      const { written, removed } = writeOutput(dir, files);
      process.stderr.write(
        `${program}: ${files.length} files in ${relative(process.cwd(), dir) || '.'} (${written.length} written, ${removed.length} removed)\n`,
      );
    }
    setExit(ExitCode.Ok);
  } catch (err) {
    if (!reportRegistryFailure(err)) throw err;
    setExit(ExitCode.Failure);
  } finally {
    await store.close();
  }
}
