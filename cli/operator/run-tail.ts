import { compilePattern, matchAddress, type AddressPattern, type LinkDown } from '../../runtime/index.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { loadClientSchema } from '../schema-runtime.ts';
import { messageLine } from './lines.ts';
import { watchLink } from './link-watch.ts';
import { describeError, untilSignal } from './options.ts';
import { openClient, type ClientOptions } from './client.ts';
import { urlOption } from './urls.ts';

export interface TailOptions extends ClientOptions {
  from: string;
  count?: number;
  timeout?: number;
  schema?: string;
}

/** What `midl tail` does (commands/tail.ts defines its options). */
export async function runTail(patternArgs: string[], opts: TailOptions, setExit: SetExitCode): Promise<void> {
  const from = urlOption('--from', opts.from, 'connect');
  const patterns = patternArgs.length > 0 ? patternArgs : ['**'];
  const compiled: AddressPattern[] = patterns.map((p) => {
    try {
      return compilePattern(p);
    } catch (err) {
      throw new UsageError(describeError(err));
    }
  });
  const schema = await loadClientSchema(opts.schema);
  if (!schema) return setExit(ExitCode.Failure);
  let lost: LinkDown | undefined;
  let peerGone!: () => void;
  const gone = new Promise<void>((r) => (peerGone = r));
  const client = await openClient(from, schema, opts, (link) =>
    watchLink(link, {
      down: (d) => {
        lost = d;
        peerGone();
      },
    }),
  );
  if (!client) return setExit(ExitCode.Failure);
  let seen = 0;
  let reachedCount!: () => void;
  const enough = new Promise<void>((r) => (reachedCount = r));
  const subs = compiled.map((pattern, index) =>
    client.bus.subscribe(pattern.source, (value, delivery) => {
      // A message matching several patterns reaches several subscriptions: the first pattern prints it.
      if (compiled.findIndex((p) => matchAddress(p, delivery.address) !== undefined) !== index) return;
      if (opts.count !== undefined && seen >= opts.count) return;
      process.stdout.write(`${JSON.stringify(messageLine(value, delivery))}\n`);
      if (++seen === opts.count) reachedCount();
    }),
  );
  try {
    await Promise.all(subs.map((s) => s.ready));
  } catch (err) {
    process.stderr.write(`error: subscription refused: ${describeError(err)}\n`);
    await client.bus.close();
    return setExit(ExitCode.Failure);
  }
  process.stderr.write(`subscribed to ${patterns.join(' ')} on ${client.url}\n`);
  const ends: Promise<void>[] = [enough, gone];
  if (opts.timeout !== undefined) ends.push(new Promise<void>((r) => setTimeout(r, opts.timeout).unref()));
  if (opts.count === 0) ends.push(Promise.resolve());
  await untilSignal(Promise.race(ends));
  if (lost && lost.reason !== 'closed') process.stderr.write(`the session with ${client.url} ended: ${lost.message || lost.reason}\n`);
  for (const s of subs) s.unsubscribe();
  await client.bus.close();
  // Ctrl-C and --timeout are normal ends; a peer that went away is not; --count is a promise to keep.
  const countKept = opts.count === undefined || seen >= opts.count;
  setExit(countKept && !(lost && lost.reason !== 'closed') ? ExitCode.Ok : ExitCode.Failure);
}
