/**
 * Options and argument helpers shared by the operator commands (peer, send, tail, replay), and waiting
 * for Ctrl-C. Light on purpose: command modules load at every `midl` start, the runtime only when one
 * of these commands runs (but for the transport registry, whose schemes the help lists: urls.ts).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { QosLevel } from '../../runtime/index.ts';
import { schemesHelp, urlForms } from './urls.ts';
import { UsageError } from '../exit.ts';

export const QOS_LEVELS: readonly QosLevel[] = ['at_most_once', 'at_least_once', 'exactly_once'];

/** `--schema PATH`, shared so that every operator command reads schemas the same way. */
export const schemaOption = (): Option => new Option('--schema <path>', 'midl.yaml, or a .midl file or directory (default: the midl.yaml found from here)');

export const qosOption = (description: string): Option => new Option('--qos <level>', description).choices(QOS_LEVELS);

/** What `--to` / `--from` accept: a URL of any registered transport (urls.ts `urlOption` checks it). */
export const peerUrlHelp = (): string => `the peer: ${urlForms('connect')} (transports below)`;

/** `--listen`: a URL of any registered transport that listens. */
export const listenUrlHelp = (): string => `where to listen: ${urlForms('listen')} (transports below; the address really bound is printed on stderr)`;

/** The registered transports after the options in a command's help (evaluated when help is shown). */
export const addSchemesHelp = (cmd: Command): Command => cmd.addHelpText('after', schemesHelp);

/** `--name` of every operator command: the UMP Endpoint Name its Network MIDI 2.0 endpoint announces. */
export const nameOption = (description: string, defaultName: string): Option =>
  new Option('--name <name>', description).argParser(endpointName).default(defaultName);

/** `--name`, `--secret`, `--user` / `--password-file`, `--connect-timeout`, the mDNS lookup options and the transports' help of the client commands (send, tail, replay). */
export function addClientOptions(cmd: Command, defaultName: string): Command {
  return addSchemesHelp(
    addMdnsOptions(
      cmd
        .addOption(nameOption('endpoint name announced in the invitation', defaultName))
        .option(
          '--secret-file <file>',
          'file whose first line is the shared secret, when the peer requires authenticated invitations (readable by its owner only)',
        )
        .option('--secret <secret>', 'the shared secret itself: for development, as it shows in the process list')
        .option('--user <name>', 'user name, when the peer requires user authentication (with --password-file)')
        .option('--password-file <file>', "file whose first line is --user's password")
        .addOption(
          new Option('--connect-timeout <ms>', 'give up when the peer has not accepted the invitation and the session by then')
            .argParser(milliseconds)
            .default(5000),
        )
        .addOption(new Option('--discover-timeout <ms>', 'mdns:NAME: how long to listen for endpoints on mDNS').argParser(milliseconds).default(2000)),
    ),
  );
}

/**
 * The options of a command that is a session authority on a listener (`peer`, `gpu serve`):
 * `--listen` / `--virtual`, `--name`, `--secret`, `--users`, `--advertise`, the mDNS options and the
 * transports' help; listen.ts acts on them.
 */
export function addListenOptions(cmd: Command, defaultName: string): Command {
  return addSchemesHelp(
    addMdnsOptions(
      cmd
        .option('--listen <url>', listenUrlHelp())
        .option('--virtual <name>', 'instead of --listen: create a virtual MIDI port pair NAME (ALSA) and serve the bus on it (midi:NAME reaches it)')
        .addOption(nameOption('endpoint name announced in invitation replies', defaultName))
        .option(
          '--secret-file <file>',
          'accept only invitations authenticated with the shared secret on the first line of this file (readable by its owner only)',
        )
        .option('--secret <secret>', 'the shared secret itself: for development, as it shows in the process list')
        .option(
          '--users <file>',
          'accept only invitations authenticated as one of these users: a JSON file {"name": "password", …}, readable by its owner only',
        )
        .option(
          '--advertise',
          'announce the listener on mDNS until it exits: udp: as _midi2._udp (TXT UMPEndpointName = --name), rtpmidi: as _apple-midi._udp (instance name = --name)',
        ),
    ),
  );
}

/** `--mdns-interface` and `--mdns-port`: where `peer --advertise` announces and `mdns:NAME` looks (as `midl discover`'s `--interface` / `--mdns-port`). */
export function addMdnsOptions(cmd: Command): Command {
  return cmd
    .option('--mdns-interface <addr>', 'IPv4 address of the one interface mDNS uses, e.g. 127.0.0.1 (default: all; a peer listening on loopback: 127.0.0.1)')
    .addOption(new Option('--mdns-port <n>', 'mDNS UDP port (default 5353; another port is a private discovery domain)').argParser(portNumber));
}

/** `--to`, `--rate`, `--window` and `--resume-for` of the commands that publish (send, replay). */
export function addPublishOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--to <url>', peerUrlHelp())
    .addOption(new Option('--rate <n>', 'at most N messages per second').argParser(positiveNumber))
    .addOption(new Option('--window <n>', 'messages awaiting acknowledgement at once').argParser(positiveWhole).default(256))
    .addOption(
      new Option(
        '--resume-for <ms>',
        'when the link drops (the peer went silent, a Bye), invite the peer again and resume the session for up to MS; 0: end at once',
      )
        .argParser(milliseconds)
        .default(10000),
    );
}

/** Commander argument parser for a non-negative integer (`--count 10`, `--timeout 500`). */
export function wholeNumber(raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new InvalidArgumentError('expected a whole number');
  return Number(raw.trim());
}

/** Commander argument parser for an integer of at least 1 (`--window`). */
export function positiveWhole(raw: string): number {
  const n = wholeNumber(raw);
  if (n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

/** Longest timer Node keeps: a longer one fires after 1 ms instead (TimeoutOverflowWarning), so a huge `--timeout` would end at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Commander argument parser for a duration in milliseconds (`--timeout`, `--wait`). */
export function milliseconds(raw: string): number {
  const n = wholeNumber(raw);
  if (n > MAX_TIMER_MS) throw new InvalidArgumentError(`expected at most ${MAX_TIMER_MS} ms (about 24 days)`);
  return n;
}

/**
 * `--telemetry MS` of a command that runs a bus (`midl peer`, `midl stream`): the bus publishes its
 * reports on the telemetry topics every MS (operator/topics.ts `telemetryTopics`). `also` ends the help.
 */
export function telemetryOption(also = ''): Option {
  return new Option(
    '--telemetry <ms>',
    `every MS, publish per-topic latency/jitter and delivery reports on telemetry/jitter and telemetry/delivery, and per-session link counters on telemetry/link (${also}sent to subscribers)`,
  ).argParser(period);
}

/** Commander argument parser for a period in milliseconds (`--telemetry`): at least 1, at most what a timer keeps. */
export function period(raw: string): number {
  const n = milliseconds(raw);
  if (n < 1) throw new InvalidArgumentError('expected at least 1 ms');
  return n;
}

/** Longest UMP Endpoint Name (M2-104-UM), in bytes of UTF-8. */
const NAME_MAX_BYTES = 98;

/**
 * Commander argument parser for an endpoint name, checked here so that an empty or long one is a usage
 * error naming `--name` rather than a failure to listen or to connect, or telemetry that never validates.
 * At most 98 bytes is also within the bus's own bounds on a node name (128 characters, 256 bytes).
 */
export function endpointName(raw: string): string {
  // It is also the bus node's name, the `peer` of its telemetry reports, which idl/telemetry requires to be non-empty.
  if (raw.length === 0) throw new InvalidArgumentError('an endpoint name must have at least 1 character (it is the peer of the telemetry reports)');
  const bytes = Buffer.byteLength(raw, 'utf8');
  if (bytes > NAME_MAX_BYTES) throw new InvalidArgumentError(`an endpoint name is at most ${NAME_MAX_BYTES} bytes of UTF-8 (this one is ${bytes})`);
  // The name travels NUL-terminated: anything after a NUL would be lost on the wire.
  if (raw.includes('\0')) throw new InvalidArgumentError('an endpoint name cannot contain NUL');
  return raw;
}

/** Commander argument parser for a UDP port 1..65535. */
export function portNumber(raw: string): number {
  const n = wholeNumber(raw);
  if (n < 1 || n > 65535) throw new InvalidArgumentError('expected a port number 1..65535');
  return n;
}

/** Commander argument parser for a positive number (`--rate 2.5`). */
export function positiveNumber(raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || raw.trim() === '') throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** Resolves once SIGINT or SIGTERM arrives, or `also` settles; the signal listeners are removed then. */
export function untilSignal(also?: Promise<unknown>): Promise<NodeJS.Signals | 'done'> {
  return new Promise((done) => {
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    const stop = (why: NodeJS.Signals | 'done') => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      done(why);
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    also?.then(
      () => stop('done'),
      () => stop('done'),
    );
  });
}

/** Message of an error for one stderr line, with its code when it has one (`backpressure: …`). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.startsWith(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** `text` as an http: or https: URL, or a usage error that starts with `option` (e.g. `'--upstream '` or `--service NAME=`). */
export function httpUrl(option: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${option}${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${option}${text}: expected an http: or https: URL`);
  return url;
}
