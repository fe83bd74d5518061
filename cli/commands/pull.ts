import type { Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import type { PullCommandOptions } from '../registry/run-pull.ts';
import { STORE_OPTION_HELP } from '../registry/store-option.ts';

/** `midl pull`: writes back the generated files of published programs, byte for byte as `midl gen` wrote them. */
export function registerPull(program: Command, setExit: SetExitCode): void {
  program
    .command('pull')
    .description('write the generated files of published programs into a directory, exactly as midl gen wrote them')
    .argument('[names...]', 'programs, or package@version for the programs compiling it (default: every published program)')
    .option('--store <dir|url>', STORE_OPTION_HELP)
    .requiredOption('--out <dir>', 'output directory (several programs: one subdirectory each); like gen, it refuses to replace files gen did not write')
    .action(async (names: string[], opts: PullCommandOptions) => (await import('../registry/run-pull.ts')).runPull(names, opts, setExit));
}
