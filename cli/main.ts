import { Command, CommanderError } from 'commander';
import { isCommandName, registerCommands } from './commands/index.ts';
import { ExitCode, UsageError } from './exit.ts';
import { schemesHelp } from './operator/urls.ts';

/** Runs the midl CLI with `argv` (as in process.argv) and resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('midl')
    .description('Schema toolchain and runtime for MIDI 2.0 message backplanes')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', schemesHelp)
    .exitOverride();
  // A command named first loads only its own module (commands/index.ts); anything else — the help, the
  // version (it comes from the compiler's package reading), a mistyped name to suggest for — loads all.
  const args = argv.slice(2);
  const only = isCommandName(args[0]) && !args.some((a) => a === '-v' || a === '--version') ? args[0] : undefined;
  if (only === undefined) program.version((await import('../compiler/index.ts')).MIDL_VERSION, '-v, --version');
  let exitCode: number = ExitCode.Ok;
  await registerCommands(
    program,
    (code) => {
      exitCode = Math.max(exitCode, code);
    },
    only,
  );
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (err instanceof UsageError) {
      process.stderr.write(err.rendered ? `${err.message}\n` : `${err.code ? `error[${err.code}]` : 'error'}: ${err.message}\n`);
      return ExitCode.Usage;
    }
    throw err;
  }
  return exitCode;
}
