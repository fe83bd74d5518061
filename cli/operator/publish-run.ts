/**
 * Publishes a list of messages the way `midl send` and `midl replay` do: pipelined (a window of
 * publications awaiting their acknowledgement, never one ACK round trip per message), optionally
 * paced to a rate, retrying after `backpressure` as told, with progress on stderr once a run takes
 * longer than a second. Each message counts as delivered when its publish resolves, which for
 * at-least-once and exactly-once means acknowledged by the receiver.
 */
import { isBusError, type AnyTopicDescriptor, type Bus, type QosLevel } from '../../runtime/index.ts';
import { describeError } from './options.ts';

export interface Outgoing {
  readonly topic: AnyTopicDescriptor;
  readonly params: Readonly<Record<string, string>>;
  readonly value: unknown;
  /** Overrides the topic's QoS when set. */
  readonly qos: QosLevel | undefined;
  /** Where the message came from, for failure reports (`jobs.jsonl:12`). */
  readonly where: string;
}

export interface RunOptions {
  /** Publications awaiting acknowledgement at once. */
  readonly window: number;
  /** Messages per second; unlimited when undefined. */
  readonly rate: number | undefined;
  /** Stops issuing new messages once it resolves (Ctrl-C); those not issued count as not delivered. */
  readonly stop?: Promise<unknown>;
  readonly progressMs?: number;
}

export interface Failure {
  readonly where: string;
  readonly code: string;
  readonly message: string;
}

export interface RunSummary {
  readonly total: number;
  readonly issued: number;
  readonly delivered: number;
  readonly failures: readonly Failure[];
  readonly elapsedMs: number;
}

/** Give up on a message after this many backpressure retries (the receiver is not draining). */
const MAX_BACKPRESSURE_RETRIES = 1000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function publishAll(bus: Bus, items: readonly Outgoing[], o: RunOptions): Promise<RunSummary> {
  const start = performance.now();
  let next = 0;
  let delivered = 0;
  let stopped = false;
  // A closed bus fails every later message the same way: stop issuing and report the rest once.
  void o.stop?.then(() => (stopped = true));
  const failures: Failure[] = [];
  const progress = setInterval(() => {
    process.stderr.write(`sent ${next}/${items.length}, acked ${delivered}${failures.length > 0 ? `, failed ${failures.length}` : ''}\n`);
  }, o.progressMs ?? 1000);
  progress.unref();

  const publishOne = async (item: Outgoing): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await bus.publish(item.topic, item.value, item.qos ? { params: item.params, qos: item.qos } : { params: item.params });
        delivered++;
        return;
      } catch (err) {
        if (isBusError(err, 'backpressure') && attempt < MAX_BACKPRESSURE_RETRIES && !stopped) {
          await sleep(Math.max(1, err.retryAfterMs ?? 10));
          continue;
        }
        if (isBusError(err, 'closed')) stopped = true;
        failures.push({ where: item.where, code: errorCode(err), message: describeError(err) });
        return;
      }
    }
  };
  const worker = async (): Promise<void> => {
    while (!stopped && next < items.length) {
      const i = next++;
      if (o.rate !== undefined) {
        const due = start + (i * 1000) / o.rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      }
      await publishOne(items[i]!);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.window, items.length)) }, worker));
  } finally {
    clearInterval(progress);
  }
  return { total: items.length, issued: next, delivered, failures, elapsedMs: performance.now() - start };
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

/**
 * The end-of-run report for stderr: one line with the counts, then what failed grouped by error code
 * (a few examples each), and the messages never issued. Returns whether everything was delivered.
 */
export function reportRun(s: RunSummary, target: string): boolean {
  const secs = (s.elapsedMs / 1000).toFixed(1);
  const missing = s.total - s.delivered;
  process.stderr.write(`${target}: ${s.delivered}/${s.total} delivered in ${secs} s${missing > 0 ? `, ${missing} not delivered` : ''}\n`);
  const byCode = new Map<string, Failure[]>();
  for (const f of s.failures) byCode.set(f.code, [...(byCode.get(f.code) ?? []), f]);
  for (const [code, list] of byCode) {
    process.stderr.write(`  ${code}: ${list.length} message${list.length === 1 ? '' : 's'}\n`);
    for (const f of list.slice(0, 3)) process.stderr.write(`    ${f.where}: ${f.message}\n`);
  }
  if (s.issued < s.total) process.stderr.write(`  not sent: ${s.total - s.issued} message${s.total - s.issued === 1 ? '' : 's'} (stopped)\n`);
  return missing === 0;
}
