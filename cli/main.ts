import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.ts';
import { ExitCode, UsageError } from './exit.ts';
import { schemesHelp } from './operator/urls.ts';
import { MIDL_VERSION } from '../compiler/index.ts';

/** Runs the midl CLI with `argv` (as in process.argv) and resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('midl')
    .description('Schema toolchain and runtime for MIDI 2.0 message backplanes')
    .version(MIDL_VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', schemesHelp)
    .exitOverride();
  let exitCode: number = ExitCode.Ok;
  registerCommands(program, (code) => {
    exitCode = Math.max(exitCode, code);
  });
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`${err.code ? `error[${err.code}]` : 'error'}: ${err.message}\n`);
      return ExitCode.Usage;
    }
    throw err;
  }
  return exitCode;
}
