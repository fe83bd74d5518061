import { Option, type Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import { addClientOptions, milliseconds, schemaOption, wholeNumber, peerUrlHelp } from '../operator/options.ts';
import type { TailOptions } from '../operator/run-tail.ts';

/**
 * `midl tail`: a client session that subscribes to address patterns and prints each message as the
 * same JSON line `midl peer` prints, until Ctrl-C, `--count` messages or `--timeout`.
 */
export function registerTail(program: Command, setExit: SetExitCode): void {
  addClientOptions(
    program
      .command('tail')
      .description('subscribe to address patterns on a peer and print each message as a JSON line')
      .argument('[patterns...]', 'address patterns (gpu/*, gpu/**, gpu/job.result/{corr}); default **')
      .requiredOption('--from <url>', peerUrlHelp())
      .addOption(new Option('--count <n>', 'exit 0 after N messages').argParser(wholeNumber))
      .addOption(new Option('--timeout <ms>', 'stop after MS milliseconds (exit 1 if --count was not reached by then)').argParser(milliseconds))
      .addOption(schemaOption()),
    'midl tail',
  ).action(async (patternArgs: string[], opts: TailOptions) => (await import('../operator/run-tail.ts')).runTail(patternArgs, opts, setExit));
}
