import { readFileSync, writeFileSync } from 'node:fs';
import type { QosLevel } from '../../runtime/index.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { loadClientSchema } from '../schema-runtime.ts';
import { readPayloads, type PayloadSource } from './payloads.ts';
import { untilSignal } from './options.ts';
import { publishAll, reportRun, undeliveredIndices, type Outgoing } from './publish-run.ts';
import { openClient, type ClientOptions } from './client.ts';
import { urlOption } from './urls.ts';
import { resolveTopic } from './topics.ts';
import { keysOfLines, linesToResend, randomKey } from './send-keys.ts';

export interface SendOptions extends ClientOptions {
  to: string;
  topic: string;
  json?: string;
  file?: string;
  qos?: QosLevel;
  rate?: number;
  window: number;
  schema?: string;
  key?: bigint;
  failed?: string;
}

/** What `midl send` does (commands/send.ts defines its options). */
export async function runSend(opts: SendOptions, setExit: SetExitCode): Promise<void> {
  if ((opts.json === undefined) === (opts.file === undefined)) throw new UsageError('give exactly one of --json VALUE or --file FILE');
  if (opts.key !== undefined && opts.json === undefined) throw new UsageError('--key goes with --json (the lines of --file get keys derived from their text)');
  const to = urlOption('--to', opts.to, 'connect');
  const schema = await loadClientSchema(opts.schema);
  if (!schema) return setExit(ExitCode.Failure);
  const { topic, params, address } = resolveTopic(schema, opts.topic);
  const sources: PayloadSource[] = opts.json !== undefined ? [{ text: opts.json, where: '--json' }] : fileLines(opts.file!);
  const payloads = readPayloads(topic, sources);
  if (!payloads) return setExit(ExitCode.Failure);
  // Publishing on a topic that answers requests is legitimate (its responders run; the replies are not
  // asked for), so send goes on — but someone who expected an answer learns here where to get one.
  if (topic.reply) {
    process.stderr.write(
      `note: ${address} answers requests with a ${topic.reply.typeName}; send publishes without asking for the reply and shows none (midl call --to … --topic ${address} --json … makes a request and prints the reply)\n`,
    );
  }
  // Exactly once needs an identity per message that a second run gives it again: derived from the
  // line for a file, given (or random, so a retry of the same command is a new message) for --json.
  const exactlyOnce = (opts.qos ?? topic.qos) === 'exactly_once';
  if (opts.key !== undefined && !exactlyOnce) throw new UsageError(`--key: ${address} is sent ${opts.qos ?? topic.qos}; keys are for exactly-once messages`);
  const keys = !exactlyOnce ? undefined : opts.json !== undefined ? [opts.key ?? randomKey()] : keysOfLines(address, sources);
  const items: Outgoing[] = payloads.map((p, i) => ({ topic, params, value: p.value, qos: opts.qos, where: p.where, ...(keys ? { key: keys[i]! } : {}) }));
  const client = await openClient(to, schema, opts);
  if (!client) {
    if (opts.failed !== undefined)
      writeFailed(
        opts.failed,
        sources,
        sources.map((_, i) => i),
        exactlyOnce,
      );
    return setExit(ExitCode.Failure);
  }
  const summary = await publishAll(client.bus, items, { window: opts.window, rate: opts.rate, stop: untilSignal() });
  const ok = reportRun(summary, `${address} → ${client.url}`, items);
  await client.bus.close();
  if (opts.failed !== undefined) writeFailed(opts.failed, sources, undeliveredIndices(summary), exactlyOnce);
  setExit(ok ? ExitCode.Ok : ExitCode.Failure);
}

/** `--failed FILE`: the lines not delivered, as they were in the input, so that FILE can be sent again as is. */
function writeFailed(file: string, sources: readonly PayloadSource[], undelivered: readonly number[], exactlyOnce: boolean): void {
  const { lines, earlier } = linesToResend(sources, undelivered, exactlyOnce);
  try {
    writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  } catch (err) {
    process.stderr.write(`error: --failed: cannot write ${file}: ${(err as Error).message}\n`);
    return;
  }
  const n = lines.length - earlier;
  process.stderr.write(
    `--failed: ${n} line${n === 1 ? '' : 's'} not delivered written to ${file}` +
      (earlier > 0
        ? `, with ${earlier} earlier identical line${earlier === 1 ? '' : 's'} so that each keeps its exactly-once key (the peer drops those it already has)`
        : '') +
      '\n',
  );
}

function fileLines(file: string): PayloadSource[] {
  let text: string;
  try {
    // Without a byte order mark, which some editors write and JSON.parse refuses.
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    throw new UsageError(`--file: cannot read ${file}: ${(err as Error).message}`);
  }
  return text
    .split('\n')
    .map((line, i) => ({ text: line, where: `${file}:${i + 1}` }))
    .filter((l) => l.text.trim().length > 0);
}
