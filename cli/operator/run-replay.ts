import { readFileSync } from 'node:fs';
import type { QosLevel } from '../../runtime/index.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { loadSchema, type LoadedSchema } from '../schema-runtime.ts';
import { LineError, parseRecordedLine, parseUmpText } from './lines.ts';
import { payloadFromJson } from './payloads.ts';
import { untilSignal } from './options.ts';
import { publishAll, reportRun, type Outgoing } from './publish-run.ts';
import { RawReplay, type RawFrame } from './raw-replay.ts';
import { openClient, type ClientOptions } from './client.ts';
import { urlOption } from './urls.ts';
import { resolveTopic } from './topics.ts';

export interface ReplayOptions extends ClientOptions {
  to: string;
  raw?: boolean;
  qos?: QosLevel;
  rate?: number;
  window: number;
  wait: number;
  schema?: string;
}

/** What `midl replay` does (commands/replay.ts defines its options). */
export async function runReplay(file: string, opts: ReplayOptions, setExit: SetExitCode): Promise<void> {
  const to = urlOption('--to', opts.to, 'connect');
  let text: string;
  try {
    // Without a byte order mark, which some editors write and JSON.parse refuses.
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const raw = opts.raw === true || file.endsWith('.ump');
  if (raw && opts.qos) throw new UsageError('--qos cannot apply to raw words: their QoS is inside the recorded frames');
  const schema = await loadSchema(opts.schema);
  if (!schema) return setExit(ExitCode.Failure);
  let frames: RawFrame[] | undefined;
  let items: Outgoing[] | undefined;
  try {
    if (raw) frames = file.endsWith('.ump') ? [{ words: parseUmpText(text, (line) => `${file}:${line}`), where: file }] : rawFramesOf(text, file);
    else items = republished(schema, text, file, opts.qos);
  } catch (err) {
    if (!(err instanceof LineError)) throw err;
    process.stderr.write(`error: ${err.message}\nnothing sent\n`);
    return setExit(ExitCode.Failure);
  }
  const rawReplay = frames ? new RawReplay() : undefined;
  const client = await openClient(to, schema, opts, rawReplay ? (l) => rawReplay.wrap(l) : undefined);
  if (!client) return setExit(ExitCode.Failure);
  let ok: boolean;
  if (frames && rawReplay) {
    ok = await rawReplay.inject(client, frames, { rate: opts.rate, waitMs: opts.wait, target: client.url });
  } else {
    const summary = await publishAll(client.bus, items!, { window: opts.window, rate: opts.rate, stop: untilSignal() });
    ok = reportRun(summary, `replay of ${file} → ${client.url}`, items!);
  }
  await client.bus.close();
  setExit(ok ? ExitCode.Ok : ExitCode.Failure);
}

/** Every line of a recording checked and decoded before anything is sent. */
function republished(schema: LoadedSchema, text: string, file: string, qos: QosLevel | undefined): Outgoing[] {
  const out: Outgoing[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim().length === 0) return;
    const where = `${file}:${i + 1}`;
    const line = parseRecordedLine(raw, where);
    let resolved;
    try {
      resolved = resolveTopic(schema, line.address);
    } catch (err) {
      throw new LineError(where, (err as Error).message);
    }
    if (resolved.topic.address !== line.topic)
      throw new LineError(where, `${line.address} is a ${resolved.topic.address} address in this schema, but was recorded as ${line.topic}`);
    const checked = payloadFromJson(resolved.topic, line.value);
    if (typeof checked === 'string') throw new LineError(where, checked);
    out.push({ topic: resolved.topic, params: resolved.params, value: checked.value, qos: qos ?? line.qos, where });
  });
  return out;
}

/** The recorded UMP words of each line; lines recorded without words are skipped with a note. */
function rawFramesOf(text: string, file: string): RawFrame[] {
  const out: RawFrame[] = [];
  let missing = 0;
  text.split('\n').forEach((raw, i) => {
    if (raw.trim().length === 0) return;
    const where = `${file}:${i + 1}`;
    const line = parseRecordedLine(raw, where);
    if (line.ump === null || line.ump.length === 0) {
      missing++;
      return;
    }
    // One packet per string: the "line" of a problem is the packet's position in "ump".
    // A line break inside a packet string would shift the count, so it is only whitespace here.
    out.push({ words: parseUmpText(line.ump.map((p) => p.replace(/[\r\n]/g, ' ')).join('\n'), (n) => `${where}: "ump" packet ${n}`), where });
  });
  if (missing > 0) process.stderr.write(`note: ${missing} line${missing === 1 ? '' : 's'} of ${file} have no recorded UMP words; skipped\n`);
  return out;
}
