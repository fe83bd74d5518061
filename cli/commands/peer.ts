import { Option, type Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import { addListenOptions, positiveWhole, schemaOption, telemetryOption } from '../operator/options.ts';
import type { PeerOptions } from '../operator/run-peer.ts';
import { STORE_OPTION_HELP } from '../registry/store-option.ts';

/**
 * `midl peer`: a Network MIDI 2.0 endpoint that is also the Bus session authority. It accepts
 * invitations (and answers pings: the transport does), welcomes Bus sessions on them, routes between
 * its clients, and prints every message it receives as one JSON line (operator/lines.ts).
 */
export function registerPeer(program: Command, setExit: SetExitCode): void {
  const cmd = addListenOptions(
    program
      .command('peer')
      .description(
        'run a bus endpoint and session authority on any transport; print every message received as a JSON line (MIDI that is not a bus frame as {"midi":"90 3c 64"})',
      ),
    'midl peer',
  )
    .addOption(schemaOption())
    .option(
      '--record <file>',
      'append every received message, with its UMP words, to FILE as JSON lines (for midl replay); a message is acknowledged only once written, and the exactly-once messages FILE holds are not delivered again after a restart',
    )
    .option(
      '--state <dir>',
      'keep the exactly-once window in DIR (created if missing), so that exactly-once messages delivered before a crash or restart are not delivered again, with or without --record',
    )
    .addOption(
      new Option('--exactly-once-window <n>', 'remember the last N keyed exactly-once messages delivered, to drop copies sent again')
        .argParser(positiveWhole)
        .default(65536),
    )
    .option('--grant <caps>', 'grant clients only these capabilities (comma-separated names from the schema) of those they ask for')
    .option(
      '--store <dir|url>',
      `${STORE_OPTION_HELP}; given, the sessions granted here are kept there (midl/sessions/NAME/…, each grant logged in midl/grants/NAME/…) and resumed after a restart`,
    )
    .option(
      '--require-schema',
      "refuse to start (exit 1) unless the store holds the schema served here as 'midl publish' wrote it: every package@version with the same content hash, and the same facts",
    )
    .option(
      '--policy <file>',
      'grant by the rules of this policy file (YAML: per user and client name, capabilities, maxPayload, qos; see docs/policy.md) instead of --grant',
    )
    .option(
      '--no-midi-ci',
      'do not answer MIDI-CI (Discovery, the midl profile, Property Exchange of the schema and facts) on group 0 of the links; such SysEx is then printed like other MIDI',
    )
    .addOption(telemetryOption('printed, and '));
  cmd.action(async (opts: PeerOptions) => (await import('../operator/run-peer.ts')).runPeer(opts, setExit));
}
