import { closeSync, openSync, writeSync } from 'node:fs';
import { ALL_CAPABILITIES, NetworkBus } from '../../../runtime/index.ts';
import { Nm2Endpoint } from '../../../runtime/transports/nm2/index.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { loadSchema } from '../schema-runtime.ts';
import { messageLine, recordedLine } from './lines.ts';
import { describeError, untilSignal } from './options.ts';
import { RecordTap } from './record-tap.ts';
import { formatUdpUrl, udpUrl } from './session.ts';
import { capabilityMask } from './topics.ts';

export interface PeerOptions {
  listen: string;
  name: string;
  secret?: string;
  schema?: string;
  record?: string;
  grant?: string;
}

/** What `midl peer` does (commands/peer.ts defines its options). */
export async function runPeer(opts: PeerOptions, setExit: SetExitCode): Promise<void> {
  const { host, port } = udpUrl('--listen', opts.listen, { listen: true });
  const schema = await loadSchema(opts.schema);
  if (!schema) return setExit(ExitCode.Failure);
  const grant = opts.grant === undefined ? undefined : capabilityMask(schema, opts.grant);
  let record: number | undefined;
  if (opts.record !== undefined) {
    try {
      record = openSync(opts.record, 'a');
    } catch (err) {
      throw new UsageError(`--record: cannot open ${opts.record}: ${(err as Error).message}`);
    }
  }
  const tap = record === undefined ? undefined : new RecordTap();
  const bus = new NetworkBus({
    name: opts.name,
    topics: schema.topics,
    intents: schema.intents,
    // The authority's own session subscribes to everything; what clients get is the grant's business.
    capabilities: ALL_CAPABILITIES,
    ...(grant === undefined ? {} : { grant: (requested: bigint) => requested & grant }),
    onError: (error, address) => process.stderr.write(`warning: ${address}: ${describeError(error)}\n`),
  });
  bus.subscribe('**', (value, delivery) => {
    const line = messageLine(value, delivery);
    process.stdout.write(`${JSON.stringify(line)}\n`);
    // Written synchronously: a recording is complete up to the last line printed, even on SIGKILL.
    if (record !== undefined) writeSync(record, `${JSON.stringify(recordedLine(line, tap?.take(value, delivery)))}\n`);
  });
  let endpoint: Nm2Endpoint;
  try {
    endpoint = await Nm2Endpoint.listen({ host, port, name: opts.name, ...(opts.secret === undefined ? {} : { secret: opts.secret }) });
  } catch (err) {
    process.stderr.write(`error: cannot listen on ${opts.listen}: ${describeError(err)}\n`);
    await bus.close();
    if (record !== undefined) closeSync(record);
    return setExit(ExitCode.Failure);
  }
  endpoint.onSession((link) => {
    process.stderr.write(`session: ${link.description}\n`);
    bus.accept(tap ? tap.wrap(link) : link);
  });
  process.stderr.write(`listening on ${formatUdpUrl(endpoint.host, endpoint.port)}\n`);
  await untilSignal();
  // Bye to every client first (the endpoint), then the Bus's own session.
  await endpoint.close();
  await bus.close();
  if (record !== undefined) closeSync(record);
  setExit(ExitCode.Ok);
}
