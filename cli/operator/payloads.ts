/**
 * Payloads typed on the command line or read from files, turned into values of a topic's payload type
 * with its generated codec: JSON text → `fromJSON` → `validate`. All of them are checked before
 * anything is sent, so a bad line 9,000 of a file never leaves 8,999 non-idempotent messages behind.
 */
import { decodeLimits, parseJsonStrict, type AnyTopicDescriptor, type JsonValue } from '../../runtime/index.ts';

const NO_KEYS: ReadonlySet<string> = new Set();

export interface PayloadSource {
  readonly text: string;
  /** `file:line` or `--json`, for messages. */
  readonly where: string;
}

export interface Payload {
  readonly value: unknown;
  readonly where: string;
}

/** Problems printed at most; the count of the rest follows. */
const MAX_REPORTED = 20;

/** The values, or undefined after printing every problem (`file:line: …`) on stderr. */
export function readPayloads(topic: AnyTopicDescriptor, sources: readonly PayloadSource[]): Payload[] | undefined {
  const out: Payload[] = [];
  const problems: string[] = [];
  for (const s of sources) {
    let json: unknown;
    try {
      // Strict: a duplicate key, or a number no float holds, would otherwise be sent changed. `__proto__`
      // is refused by the codec where it matters (inside json fields); a declared field may bear the name.
      json = parseJsonStrict(s.text, decodeLimits().maxDepth, NO_KEYS);
    } catch (err) {
      problems.push(`${s.where}: not JSON: ${(err as Error).message}`);
      continue;
    }
    const checked = payloadFromJson(topic, json as JsonValue);
    if (typeof checked === 'string') problems.push(`${s.where}: ${checked}`);
    else out.push({ value: checked.value, where: s.where });
  }
  if (problems.length === 0) return out;
  for (const p of problems.slice(0, MAX_REPORTED)) process.stderr.write(`error: ${p}\n`);
  if (problems.length > MAX_REPORTED) process.stderr.write(`… and ${problems.length - MAX_REPORTED} more\n`);
  process.stderr.write(
    `nothing sent: ${problems.length} invalid payload${problems.length === 1 ? '' : 's'} for ${topic.address} (${topic.payload.typeName})\n`,
  );
  return undefined;
}

/** A value of the topic's payload type from its JSON form, or the reason it is not one. */
export function payloadFromJson(topic: AnyTopicDescriptor, json: JsonValue): { value: unknown } | string {
  let value: unknown;
  try {
    value = topic.payload.fromJSON(json);
  } catch (err) {
    return `not a ${topic.payload.typeName}: ${(err as Error).message}`;
  }
  const result = topic.payload.validate(value);
  if (!result.ok) return `invalid ${topic.payload.typeName}: ${result.errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ')}`;
  return { value };
}
