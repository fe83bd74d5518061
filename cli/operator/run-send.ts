import { readFileSync } from 'node:fs';
import type { QosLevel } from '../../runtime/index.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { loadSchema } from '../schema-runtime.ts';
import { readPayloads } from './payloads.ts';
import { untilSignal } from './options.ts';
import { publishAll, reportRun, type Outgoing } from './publish-run.ts';
import { openClient, type ClientOptions } from './client.ts';
import { urlOption } from './urls.ts';
import { resolveTopic } from './topics.ts';

export interface SendOptions extends ClientOptions {
  to: string;
  topic: string;
  json?: string;
  file?: string;
  qos?: QosLevel;
  rate?: number;
  window: number;
  schema?: string;
}

/** What `midl send` does (commands/send.ts defines its options). */
export async function runSend(opts: SendOptions, setExit: SetExitCode): Promise<void> {
  if ((opts.json === undefined) === (opts.file === undefined)) throw new UsageError('give exactly one of --json VALUE or --file FILE');
  const to = urlOption('--to', opts.to, 'connect');
  const schema = await loadSchema(opts.schema);
  if (!schema) return setExit(ExitCode.Failure);
  const { topic, params, address } = resolveTopic(schema, opts.topic);
  const sources = opts.json !== undefined ? [{ text: opts.json, where: '--json' }] : fileLines(opts.file!);
  const payloads = readPayloads(topic, sources);
  if (!payloads) return setExit(ExitCode.Failure);
  const items: Outgoing[] = payloads.map((p) => ({ topic, params, value: p.value, qos: opts.qos, where: p.where }));
  const client = await openClient(to, schema, opts);
  if (!client) return setExit(ExitCode.Failure);
  const summary = await publishAll(client.bus, items, { window: opts.window, rate: opts.rate, stop: untilSignal() });
  const ok = reportRun(summary, `${address} → ${client.url}`);
  await client.bus.close();
  setExit(ok ? ExitCode.Ok : ExitCode.Failure);
}

function fileLines(file: string): { text: string; where: string }[] {
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
