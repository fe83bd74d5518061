/**
 * How a command that is a session authority (`midl peer`, `midl gpu serve`) serves its bus on a
 * listener: `--listen URL` or `--virtual NAME`, `--secret`, `--users FILE`, `--advertise` on mDNS, the
 * `listening on URL` and `session: …` lines, and closing it all again. One place, so that every such
 * command takes the same flags and says the same things.
 */
import type { NetworkBus } from '../../runtime/index.ts';
import { MdnsError, formatMidiUrl, transports, type TransportListener } from '../../runtime/transports/index.ts';
import { ExitCode, UsageError } from '../exit.ts';
import { mdnsOptions, type MdnsFlags } from './client.ts';
import { readSharedSecret, readUsersFile } from './credentials.ts';
import { describeError } from './options.ts';
import { TransportProblemLog } from './transport-problems.ts';
import { urlOption, type UrlOption } from './urls.ts';

export interface ListenFlags extends MdnsFlags {
  listen?: string;
  /** `--virtual NAME`: listen on a virtual MIDI port pair of that name, created for the purpose. */
  virtual?: string;
  name: string;
  secret?: string;
  secretFile?: string;
  /** `--users FILE`: the JSON file of user name → password (credentials.ts). */
  users?: string;
  advertise?: boolean;
}

/** What the listening flags ask for, checked before anything opens: a usage error otherwise. */
export interface ListenPlan {
  readonly target: UrlOption;
  readonly users: ReadonlyMap<string, string> | undefined;
  readonly secret: string | undefined;
}

export function listenPlan(opts: ListenFlags): ListenPlan {
  if ((opts.listen === undefined) === (opts.virtual === undefined)) throw new UsageError('give one of --listen URL or --virtual NAME');
  const target =
    opts.virtual === undefined
      ? urlOption('--listen', opts.listen!, 'listen')
      : urlOption('--virtual', formatMidiUrl({ kind: 'name', name: opts.virtual }), 'listen');
  if (!opts.advertise && (opts.mdnsInterface !== undefined || opts.mdnsPort !== undefined)) {
    throw new UsageError('--mdns-interface and --mdns-port only apply with --advertise');
  }
  return { target, users: opts.users === undefined ? undefined : readUsersFile(opts.users), secret: readSharedSecret(opts) };
}

/** A bus served on a listener (and announced on mDNS when asked): `close` says goodbye on mDNS, then closes the listener. */
export interface ServedBus {
  readonly listener: TransportListener;
  close(): Promise<void>;
}

/**
 * Opens the listener of `plan` and hands every session on it to `bus`; prints `listening on URL` once
 * ready and `session: …` for each session. A failure is printed on stderr and gives the exit code,
 * with whatever was opened closed again.
 */
export async function serveBus(bus: NetworkBus, plan: ListenPlan, opts: ListenFlags): Promise<ServedBus | ExitCode> {
  let listener: TransportListener;
  // What the transport survives (hostile datagrams, dropped writes) is told, bounded (transport-problems.ts).
  const problems = new TransportProblemLog({ where: plan.target.url });
  try {
    listener = await transports.listen(plan.target.url, {
      name: opts.name,
      onError: problems.report,
      ...(plan.secret === undefined ? {} : { secret: plan.secret }),
      ...(plan.users === undefined ? {} : { users: plan.users }),
      ...(opts.virtual === undefined ? {} : { virtual: true }),
    });
  } catch (err) {
    problems.close();
    process.stderr.write(`error: cannot listen on ${plan.target.url}: ${describeError(err)}\n`);
    return ExitCode.Failure;
  }
  // What --advertise announces is the listener's own kind of service (_midi2._udp, _apple-midi._udp).
  const advertise = listener.advertise?.bind(listener);
  if (opts.advertise && advertise === undefined) {
    process.stderr.write(`error: --advertise: ${listener.url} has no mDNS announcement (udp: and rtpmidi: listeners have one)\n`);
    await listener.close();
    problems.close();
    return ExitCode.Usage;
  }
  listener.onSession((link) => {
    process.stderr.write(`session: ${link.description}\n`);
    bus.accept(link);
  });
  process.stderr.write(`listening on ${listener.url}\n`);
  let advert: { stop(): Promise<void> } | undefined;
  if (opts.advertise && advertise !== undefined) {
    try {
      const ad = await advertise(opts.name, mdnsOptions(opts));
      advert = ad;
      process.stderr.write(
        `advertising ${JSON.stringify(opts.name)}${ad.note === '' ? '' : ` (${ad.note})`} as ${ad.serviceType} on mDNS ${ad.interface ?? 'all interfaces'} port ${ad.mdnsPort}\n`,
      );
    } catch (err) {
      if (!(err instanceof MdnsError)) throw err;
      process.stderr.write(`error: --advertise: ${err.message}\n`);
      await listener.close();
      problems.close();
      return ExitCode.Failure;
    }
  }
  return {
    listener,
    // Goodbye on mDNS first, so that nobody discovers an endpoint that is going away; then Bye to every client.
    close: async () => {
      await advert?.stop();
      await listener.close();
      problems.close();
    },
  };
}
