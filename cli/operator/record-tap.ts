/**
 * `midl peer --record` stores each received message with the UMP words it arrived as, so that
 * `midl replay --raw` can send exactly those words again. The Bus hands out decoded values, not words,
 * so a tap sits between the transport and the Bus (link-tap.ts): it decodes the data frame of every
 * complete SysEx8 message (runtime/bus/frame.ts) and files its words under (session, topic, timestamp). A delivery takes its words from there: the entry with its
 * address, correlation id and payload bytes (payload encoding is deterministic, so re-encoding the
 * delivered value finds the very frame it came from).
 *
 * Best effort by design: what the Bus drops (duplicates, retransmitted copies, control traffic) stays
 * filed until evicted (the newest MAX_FILED frames are kept).
 */
import type { Delivery, UmpLink } from '../../runtime/index.ts';
import { DATA_SUB_ID, decodeDataFrame, frameOf } from '../../runtime/bus/frame.ts';
import { tapSysEx8 } from './link-tap.ts';

const MAX_FILED = 8192;
/** Largest payload the tap decodes; the Bus enforces the real limits. */
const MAX_PAYLOAD = 16 * 1024 * 1024;

interface Filed {
  readonly address: string;
  readonly corr: bigint;
  readonly payload: Uint8Array;
  words: Uint32Array;
  /** Chunks still expected (a chunked payload travels as several frames). */
  chunksLeft: number;
}

export class RecordTap {
  /** Complete frames by `session/topic/timestamp`, oldest first. */
  private readonly filed = new Map<string, Filed[]>();
  private count = 0;

  /** A link that behaves like `link` and shows the tap every message it receives. */
  wrap(link: UmpLink): UmpLink {
    return tapSysEx8(link, (words, data) => this.file(words, data));
  }

  /** The words of a delivered message, if the tap saw them; they are forgotten once taken. */
  take(value: unknown, d: Delivery): Uint32Array | undefined {
    const key = `${d.sessionId}/${d.topic.id}/${d.timestampUs}`;
    const list = this.filed.get(key);
    if (!list) return undefined;
    let bytes: Uint8Array | undefined;
    try {
      bytes = d.topic.payload.encode(value);
    } catch {
      bytes = undefined;
    }
    const same = (f: Filed) => f.address === d.address && f.corr === d.corr;
    let i = list.findIndex((f) => same(f) && (bytes === undefined || f.chunksLeft > 0 || equalBytes(f.payload, bytes)));
    if (i < 0) i = list.findIndex(same);
    if (i < 0) return undefined;
    const [hit] = list.splice(i, 1);
    if (list.length === 0) this.filed.delete(key);
    this.count--;
    return hit?.words;
  }

  private file(words: Uint32Array, data: Uint8Array): void {
    let decoded;
    try {
      const frame = frameOf(data);
      if (!frame || frame.subId !== DATA_SUB_ID) return; // Control frames and foreign SysEx8 carry no message.
      decoded = decodeDataFrame(frame.body, MAX_PAYLOAD);
    } catch {
      return; // A bad checksum or body: the Bus rejects it too.
    }
    const { header, payload } = decoded.envelope;
    const key = `${header.sessionId}/${header.topicId}/${header.timestampUs}`;
    const list = this.filed.get(key) ?? [];
    const last = list.at(-1);
    if (header.chunk && header.chunk.index > 0 && last && last.corr === header.corrId && last.chunksLeft > 0) {
      const joined = new Uint32Array(last.words.length + words.length);
      joined.set(last.words);
      joined.set(words, last.words.length);
      last.words = joined;
      last.chunksLeft--;
      return;
    }
    list.push({ address: decoded.address, corr: header.corrId, payload: payload.slice(), words, chunksLeft: header.chunk ? header.chunk.total - 1 : 0 });
    this.filed.set(key, list);
    if (++this.count > MAX_FILED) this.evictOldest();
  }

  private evictOldest(): void {
    const [key, list] = this.filed.entries().next().value ?? [];
    if (key === undefined || !list) return;
    list.shift();
    if (list.length === 0) this.filed.delete(key);
    this.count--;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
