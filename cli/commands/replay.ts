import { Option, type Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import { addClientOptions, addPublishOptions, milliseconds, qosOption, schemaOption } from '../operator/options.ts';
import type { ReplayOptions } from '../operator/run-replay.ts';

/**
 * `midl replay FILE`: a recording (`midl peer --record`, or peer/tail output) is published again as
 * fresh messages: a new session, new timestamps and correlation ids, the recorded addresses, values
 * and QoS. A `.ump` word file, or a recording with `--raw`, is sent as the very UMP words recorded,
 * inside a new Bus session: a replay attack, which the receiver should refuse (stale, replay).
 */
export function registerReplay(program: Command, setExit: SetExitCode): void {
  const cmd = program
    .command('replay')
    .description('publish a recorded session again (fresh messages), or send its raw UMP words (.ump files, --raw) to test replay defence')
    .argument('<file>', 'a recording (JSON lines from midl peer --record) or a .ump word file');
  addClientOptions(
    addPublishOptions(cmd)
      .option('--raw', "send the recording's UMP words unchanged instead of publishing its values again")
      .addOption(qosOption('delivery guarantee instead of the recorded one (not with --raw)'))
      .addOption(new Option('--wait <ms>', 'raw: how long to wait for the receiver to answer the frames').argParser(milliseconds).default(1000))
      .addOption(schemaOption()),
    'midl replay',
  ).action(async (file: string, opts: ReplayOptions) => (await import('../operator/run-replay.ts')).runReplay(file, opts, setExit));
}
