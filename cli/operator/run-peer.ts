import { closeSync, writeSync } from 'node:fs';
import { ALL_CAPABILITIES, CiLinkResponder, DEFAULT_EXACTLY_ONCE_WINDOW, NetworkBus } from '../../runtime/index.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { loadSchema } from '../schema-runtime.ts';
import { StateJournal, openAppending, readDedupeJournal } from './dedupe-journal.ts';
import { messageLine, recordedLine } from './lines.ts';
import { foreignLine } from './midi-lines.ts';
import { describeError, untilSignal } from './options.ts';
import { listenPlan, serveBus, type ListenFlags, type ServedBus } from './listen.ts';
import { openPeerSessions, type PeerSessionStore } from './peer-sessions.ts';
import { telemetryTopics } from './topics.ts';
import { grantFromFlags, type GrantFlags } from './grants.ts';
import { readStoredUsers } from './credentials.ts';

export interface PeerOptions extends ListenFlags, GrantFlags {
  schema?: string;
  record?: string;
  telemetry?: number;
  exactlyOnceWindow?: number;
  state?: string;
  store?: string;
  requireSchema?: boolean;
  /** `--no-midi-ci` sets it false: no MIDI-CI responder. */
  midiCi?: boolean;
}

/** What `midl peer` does (commands/peer.ts defines its options). */
export async function runPeer(opts: PeerOptions, setExit: SetExitCode): Promise<void> {
  let plan = listenPlan(opts);
  const schema = await loadSchema(opts.schema);
  if (!schema) return setExit(ExitCode.Failure);
  if (opts.requireSchema && !(await (await import('../registry/require-schema.ts')).requirePublishedSchema(opts.schema, opts.store)))
    return setExit(ExitCode.Failure);
  const grant = grantFromFlags(opts, schema.capabilities);
  const telemetry = opts.telemetry === undefined ? undefined : { ...telemetryTopics(schema), intervalMs: opts.telemetry };
  const window = opts.exactlyOnceWindow ?? DEFAULT_EXACTLY_ONCE_WINDOW;
  let record: number | undefined;
  let state: StateJournal | undefined;
  let seen: readonly string[] = [];
  const reportJournal = (flag: string, where: string, j: { seen: readonly string[]; unreadable: readonly string[]; unreadableCount: number }) => {
    if (j.unreadableCount > 0)
      process.stderr.write(
        `warning: ${flag}: ${j.unreadableCount} line${j.unreadableCount === 1 ? '' : 's'} of ${where} unreadable (${j.unreadable.join(', ')}${j.unreadableCount > j.unreadable.length ? ', …' : ''}); a message there is not known as delivered\n`,
      );
    if (j.seen.length > 0)
      process.stderr.write(`${flag}: ${j.seen.length} exactly-once message${j.seen.length === 1 ? '' : 's'} of ${where} will not be delivered again\n`);
  };
  if (opts.state !== undefined) {
    // A journal of its own: the exactly-once window survives a restart whether or not the peer records.
    try {
      state = await StateJournal.open(opts.state, window);
    } catch (err) {
      throw new UsageError(`--state: cannot use ${opts.state}: ${(err as Error).message}`);
    }
    seen = state.seen;
    reportJournal('--state', opts.state, state);
  }
  if (opts.record !== undefined) {
    try {
      // The recording is a journal of the exactly-once window too: what it holds is not delivered twice.
      // With --state as well, both are read: a line recorded just before a kill may not be in the state yet.
      const journal = await readDedupeJournal(opts.record, window);
      seen = [...seen, ...journal.seen];
      reportJournal('--record', opts.record, journal);
      record = openAppending(opts.record);
    } catch (err) {
      throw new UsageError(`--record: cannot open ${opts.record}: ${(err as Error).message}`);
    }
  }
  // With a store, every session granted here is kept there, and those an earlier run left are resumed.
  const kept: PeerSessionStore | undefined = opts.store === undefined ? undefined : await openPeerSessions(opts.store, opts.name);
  if (plan.storedUsers !== undefined) {
    if (!kept) throw new UsageError(`--users store:${plan.storedUsers} reads the users from the peer's store: give --store DIR|URL too`);
    plan = { ...plan, users: await readStoredUsers(kept.store, plan.storedUsers) };
  }
  // MIDI-CI: Discovery, the midl profile and the schema, facts and transport by Property Exchange, on group 0 of every link.
  const ciModule = opts.midiCi === false ? undefined : await import('./ci-resources.ts');
  const resources = await ciModule?.ciResources(opts.schema);
  if (ciModule && !resources) return setExit(ExitCode.Failure);
  let ci: CiLinkResponder | undefined;
  const bus = new NetworkBus({
    name: opts.name,
    topics: schema.topics,
    intents: schema.intents,
    // The authority's own session subscribes to everything; what clients get is the grant's business.
    capabilities: ALL_CAPABILITIES,
    ...(grant === undefined ? {} : { grant }),
    ...(telemetry === undefined ? {} : { telemetry }),
    // A recording keeps the packets each message arrived in, for `replay --raw`.
    ...(record === undefined ? {} : { keepPackets: true }),
    exactlyOnce: { window, seen },
    ...(kept ? { sessionRecords: kept.records, restoredSessions: kept.restored } : {}),
    onError: (error, address) => process.stderr.write(`warning: ${address}: ${describeError(error)}\n`),
    onForeignUmp: (words, from, answer) => {
      if (ci?.take(words, answer, from)) return;
      process.stdout.write(`${JSON.stringify(foreignLine(words))}\n`);
    },
  });
  if (ciModule && resources)
    ci = new CiLinkResponder(ciModule.peerResponder(opts.name, resources, bus.maxPayloadBytes), {
      onError: (error, from) => process.stderr.write(`warning: ${from}: MIDI-CI: ${describeError(error)}\n`),
    });
  // Acknowledged only once handled: a message counts as delivered (to `send`) once it is in the
  // recording. writeSync puts the line in the kernel before the ACK is queued, so it survives a
  // SIGKILL of this process (not a crash of the machine: nothing is fsynced).
  bus.subscribe(
    '**',
    (value, delivery) => {
      const line = messageLine(value, delivery);
      if (record !== undefined) writeSync(record, `${JSON.stringify(recordedLine(line, delivery.packets, delivery.dedupeId))}\n`);
      if (state !== undefined && delivery.dedupeId !== undefined) state.append(delivery.dedupeId);
      process.stdout.write(`${JSON.stringify(line)}\n`);
    },
    { ackAfterHandler: true },
  );
  // `kill -USR2 PID` prints the bus's state (each session's messages in flight, the bytes its
  // reassembly holds, the topics' counters) as one `stats:` JSON line on stderr: a look at a running peer
  // without stopping it. Capabilities are bigints, written as decimal strings.
  const printStats = () => process.stderr.write(`stats: ${JSON.stringify(bus.stats(), (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
  process.on('SIGUSR2', printStats);
  if (kept) process.stderr.write(`store: ${bus.sessionsRestored} session${bus.sessionsRestored === 1 ? '' : 's'} restored from ${kept.store.description}\n`);
  // Goodbye on mDNS and Bye to every client first (the listener), then the Bus's own session.
  const shutdown = async (code: ExitCode, served?: ServedBus): Promise<void> => {
    process.off('SIGUSR2', printStats);
    await served?.close();
    await bus.close();
    await kept?.store.close();
    if (record !== undefined) closeSync(record);
    state?.close();
    setExit(code);
  };
  // Listening for the signal before the listener says it listens: a SIGTERM sent on that line is a clean stop.
  const signalled = untilSignal();
  const served = await serveBus(bus, plan, opts);
  if (typeof served === 'number') return shutdown(served);
  await signalled;
  await shutdown(ExitCode.Ok, served);
}
