import type { Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import type { PublishCommandOptions } from '../registry/run-publish.ts';
import { STORE_OPTION_HELP } from '../registry/store-option.ts';

/**
 * `midl publish`: the compiled schema (content-hashed packages), the generated files, the topic registry
 * and the facts (midl's and FountainKit's agent-facts form) into a store; docs/registry.md.
 */
export function registerPublish(program: Command, setExit: SetExitCode): void {
  program
    .command('publish')
    .description('publish schemas (content-hashed: a published version never changes), generated files, topics and facts to a store')
    .argument('[paths...]', '.midl files or directories, compiled together as one program (default: every generate job of midl.yaml)')
    .option('--store <dir|url>', STORE_OPTION_HELP)
    .option('--dry-run', 'write nothing; print each document as + created, ~ changed (with a diff), = unchanged or - removed')
    .option('--config <path>', 'midl.yaml to read (default: search upwards from the current directory)')
    .option('--program <name>', 'the program name of paths given on the command line (default: the first path without extension)')
    .action(async (paths: string[], opts: PublishCommandOptions) => (await import('../registry/run-publish.ts')).runPublish(paths, opts, setExit));
}
