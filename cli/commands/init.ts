import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode, type SetExitCode } from '../exit.ts';
import type { InitOptions } from '../init/project.ts';

/**
 * `midl init [DIR]`: a new project that works at once (schema, midl.yaml, ESM package.json, tsconfig,
 * an example that serves and calls a topic, a README); it never overwrites a file.
 */
export function registerInit(program: Command, setExit: SetExitCode): void {
  program
    .command('init')
    .description('create a midl project in DIR (default: the current directory): schema, midl.yaml, package.json, tsconfig, example program, README')
    .argument('[dir]', 'project directory, created when absent', '.')
    .option('--name <name>', "the package name (default: made from DIR's name)")
    .option('--midl-spec <spec>', 'how the project depends on midl, e.g. ^0.1.0 or file:/path/midl-0.1.0.tgz (default: the running midl)')
    .action(async (dir: string, opts: Omit<InitOptions, 'dir'>) => {
      const { initProject, FIRST_RUN } = await import('../init/project.ts');
      const made = initProject({ dir, name: opts.name, midlSpec: opts.midlSpec });
      process.stdout.write(`created ${made.name} in ${made.dir}: ${made.files.join(', ')}\n`);
      process.stdout.write(`dependencies.midl: ${made.midl.spec} (${made.midl.reason})\n\nnext:\n`);
      const steps = made.dir === resolve('.') ? FIRST_RUN : [`cd ${shellWord(dir)}`, ...FIRST_RUN];
      for (const step of steps) process.stdout.write(`  ${step}\n`);
      setExit(ExitCode.Ok);
    });
}

/** `word` as one POSIX shell word: as it is when nothing in it is special, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
