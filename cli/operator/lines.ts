/**
 * The JSON lines operator commands print (peer, tail) and record (peer --record), and reading them
 * back (replay). One message per line, keys in this order (docs/cli.md § Message lines):
 *
 *   {"topic":"gpu/job.result/{corr}","address":"gpu/job.result/42","corr":"0","ts":1718000000123000,
 *    "qos":"at_least_once","session":3,"value":{…}}
 *
 * `corr` is a decimal string (a u64); `ts` the publisher's timestamp in µs since the Unix epoch, a JSON
 * number (exact until the year 2255); `value` the topic payload's canonical JSON form (`toJSON`, which
 * writes 64-bit integers and bytes as strings), so every line is plain JSON without bigints. A recorded
 * line adds `"ump"`: the message's UMP packets as received, one packet per string, words as 8 uppercase
 * hex digits separated by spaces (the `.ump` word-file format), or null when they were not captured;
 * before it, a keyed exactly-once message's line has `"dedupe"`: its identity in the peer's window of
 * delivered messages (32 hex digits), which `peer --record` reads back when it starts again.
 */
import { decodeLimits, packetWordCount, parseJsonStrict, type Delivery, type JsonValue, type QosLevel } from '../../runtime/index.ts';
import { formatPackets } from '../commands/ump.ts';
import { QOS_LEVELS } from './options.ts';

export interface MessageLine {
  readonly topic: string;
  readonly address: string;
  readonly corr: string;
  readonly ts: number | string;
  readonly qos: QosLevel;
  readonly session: number;
  readonly value: JsonValue;
}

export interface RecordedLine extends MessageLine {
  readonly dedupe?: string;
  readonly ump: readonly string[] | null;
}

export function messageLine(value: unknown, d: Delivery): MessageLine {
  const ts = Number(d.timestampUs);
  return {
    topic: d.topic.address,
    address: d.address,
    corr: d.corr.toString(),
    ts: Number.isSafeInteger(ts) ? ts : d.timestampUs.toString(),
    qos: d.qos,
    session: d.sessionId,
    value: d.topic.payload.toJSON(value),
  };
}

export function recordedLine(line: MessageLine, words: Uint32Array | undefined, dedupe?: string): RecordedLine {
  return { ...line, ...(dedupe === undefined ? {} : { dedupe }), ump: words ? formatPacketList(words) : null };
}

/** Packets as `.ump` lines: one packet per string, 8 uppercase hex digits per word (as `midl ump pack` prints them). */
export function formatPacketList(words: Uint32Array): string[] {
  return words.length === 0 ? [] : formatPackets(words).trimEnd().split('\n');
}

/** A problem with one input line, reported as `file:line: message`. */
export class LineError extends Error {
  override readonly name = 'LineError';
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
  }
}

/**
 * Words of `.ump` text (8 hex digits each, any whitespace between, `#` to the end of a line is a
 * comment), checked to form whole packets. A problem is reported at `where(line)` (1-based line of
 * `text`): `file:LINE` for a .ump file, the recording line and packet for a recording's `ump`.
 */
export function parseUmpText(text: string, where: (line: number) => string): Uint32Array {
  const words: number[] = [];
  /** Line of each word, for the packet a file ends inside. */
  const lineOf: number[] = [];
  text.split('\n').forEach((raw, i) => {
    for (const token of raw
      .replace(/#.*/, '')
      .split(/\s+/)
      .filter((t) => t.length > 0)) {
      if (!/^[0-9a-f]{8}$/i.test(token))
        throw new LineError(where(i + 1), `${JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}…` : token)} is not a word of 8 hex digits`);
      words.push(parseInt(token, 16) >>> 0);
      lineOf.push(i + 1);
    }
  });
  const out = Uint32Array.from(words);
  for (let i = 0; i < out.length;) {
    const size = packetWordCount(out[i]!);
    if (i + size > out.length) {
      const have = out.length - i;
      throw new LineError(
        where(lineOf[i]!),
        `incomplete packet: ${hex8(out[i]!)} starts a ${size}-word packet (message type ${out[i]! >>> 28}), but only ${have} of its words ${have === 1 ? 'is' : 'are'} there`,
      );
    }
    i += size;
  }
  return out;
}

const hex8 = (w: number): string => w.toString(16).toUpperCase().padStart(8, '0');

const NO_KEYS: ReadonlySet<string> = new Set();

/** One line of a recording (or of `peer`/`tail` output, which lacks `ump`), checked field by field. */
export function parseRecordedLine(text: string, where: string): RecordedLine {
  let raw: unknown;
  try {
    // Strict, as `send` reads payloads: a duplicate key or a number no float holds would replay changed.
    // The line is an object around the payload's value: one level more than a payload may nest.
    raw = parseJsonStrict(text, decodeLimits().maxDepth + 1, NO_KEYS);
  } catch (err) {
    throw new LineError(where, `not JSON: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new LineError(where, 'expected a JSON object');
  const o = raw as Record<string, unknown>;
  const str = (key: string): string => {
    const v = o[key];
    if (typeof v !== 'string') throw new LineError(where, `"${key}" must be a string`);
    return v;
  };
  const qos = str('qos');
  if (!(QOS_LEVELS as readonly string[]).includes(qos)) throw new LineError(where, `"qos" must be one of ${QOS_LEVELS.join(', ')}`);
  if (!('value' in o)) throw new LineError(where, 'missing "value"');
  const ump = o['ump'] ?? null;
  if (ump !== null && !(Array.isArray(ump) && ump.every((p) => typeof p === 'string')))
    throw new LineError(where, '"ump" must be a list of packet strings or null');
  const ts = o['ts'];
  const session = o['session'];
  return {
    topic: str('topic'),
    address: str('address'),
    corr: typeof o['corr'] === 'string' ? o['corr'] : '0',
    ts: typeof ts === 'number' || typeof ts === 'string' ? ts : 0,
    qos: qos as QosLevel,
    session: typeof session === 'number' ? session : 0,
    value: o['value'] as JsonValue,
    ump: ump,
  };
}
