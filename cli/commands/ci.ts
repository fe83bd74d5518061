import { Option, type Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import { addClientOptions, milliseconds, peerUrlHelp } from '../operator/options.ts';
import type { CiOptions } from '../operator/run-ci.ts';

/**
 * `midl ci`: MIDI-CI as an initiator over a link — find the responders at the other end (Discovery) and
 * read their profiles and Property Exchange resources (docs/midi-ci.md § Responder).
 */
export function registerCi(program: Command, setExit: SetExitCode): void {
  const ci = program.command('ci').description('MIDI-CI: discover the responders a link reaches and read their Property Exchange resources');
  const common = (cmd: Command) =>
    addClientOptions(
      cmd
        .requiredOption('--to <url>', peerUrlHelp())
        .addOption(new Option('--wait <ms>', 'how long to collect Discovery Replies').argParser(milliseconds).default(1000))
        .addOption(new Option('--timeout <ms>', 'how long to wait for each answer of a responder').argParser(milliseconds).default(5000)),
      'midl ci',
    );
  common(ci.command('discover').description('print one JSON line per responder: {muid, identity, profiles, resources}')).action(async (opts: CiOptions) =>
    (await import('../operator/run-ci.ts')).runCiDiscover(opts, setExit),
  );
  common(
    ci
      .command('get')
      .description("print the JSON of a Property Exchange resource (e.g. ResourceList, DeviceInfo, X-MidlSchema) of the link's first responder")
      .argument('<resource>', 'the resource name'),
  ).action(async (resource: string, opts: CiOptions) => (await import('../operator/run-ci.ts')).runCiGet(resource, opts, setExit));
}
