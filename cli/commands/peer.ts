import { Option, type Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import { addMdnsOptions, addSchemesHelp, listenUrlHelp, nameOption, period, positiveWhole, schemaOption } from '../operator/options.ts';
import type { PeerOptions } from '../operator/run-peer.ts';

/**
 * `midl peer`: a Network MIDI 2.0 endpoint that is also the Bus session authority. It accepts
 * invitations (and answers pings: the transport does), welcomes Bus sessions on them, routes between
 * its clients, and prints every message it receives as one JSON line (operator/lines.ts).
 */
export function registerPeer(program: Command, setExit: SetExitCode): void {
  const cmd = program
    .command('peer')
    .description(
      'run a bus endpoint and session authority on any transport; print every message received as a JSON line (MIDI that is not a bus frame as {"midi":"90 3c 64"})',
    )
    .option('--listen <url>', listenUrlHelp())
    .option('--virtual <name>', 'instead of --listen: create a virtual MIDI port pair NAME (ALSA) and serve the bus on it (midi:NAME reaches it)')
    .addOption(nameOption('endpoint name announced in invitation replies', 'midl peer'))
    .option('--secret <secret>', 'accept only invitations authenticated with this shared secret')
    .option('--users <file>', 'accept only invitations authenticated as one of these users: a JSON file {"name": "password", …}')
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
      '--advertise',
      'announce the listener on mDNS until it exits: udp: as _midi2._udp (TXT UMPEndpointName = --name), rtpmidi: as _apple-midi._udp (instance name = --name)',
    )
    .option(
      '--telemetry <ms>',
      'every MS, publish per-topic latency/jitter and delivery reports on telemetry/jitter and telemetry/delivery (printed, and sent to subscribers)',
      period,
    );
  addSchemesHelp(addMdnsOptions(cmd)).action(async (opts: PeerOptions) => (await import('../operator/run-peer.ts')).runPeer(opts, setExit));
}
