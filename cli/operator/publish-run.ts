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
  /** Idempotency key (`PublishOptions.key`), for exactly-once messages. */
  readonly key?: bigint;
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
  /** Which item of the run. */
  readonly index: number;
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

  const publishOne = async (item: Outgoing, index: number): Promise<void> => {
    const options = { params: item.params, ...(item.qos ? { qos: item.qos } : {}), ...(item.key === undefined ? {} : { key: item.key }) };
    for (let attempt = 0; ; attempt++) {
      try {
        await bus.publish(item.topic, item.value, options);
        delivered++;
        return;
      } catch (err) {
        if (isBusError(err, 'backpressure') && attempt < MAX_BACKPRESSURE_RETRIES && !stopped) {
          await sleep(Math.max(1, err.retryAfterMs ?? 10));
          continue;
        }
        if (isBusError(err, 'closed')) stopped = true;
        failures.push({ index, where: item.where, code: errorCode(err), message: describeError(err) });
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
      await publishOne(items[i]!, i);
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

/** Indices of the items not delivered: those that failed and those never issued, in input order. */
export function undeliveredIndices(s: RunSummary): number[] {
  const out = s.failures.map((f) => f.index);
  for (let i = s.issued; i < s.total; i++) out.push(i);
  return out.sort((a, b) => a - b);
}

/**
 * The end-of-run report for stderr: one line with the counts, then every message not delivered,
 * grouped by error code and message (each `file:line` on a line of its own, so that the operator
 * knows exactly what to send again), and the messages never issued. Returns whether everything was
 * delivered.
 */
export function reportRun(s: RunSummary, target: string, sources: readonly Pick<Outgoing, 'where'>[]): boolean {
  const secs = (s.elapsedMs / 1000).toFixed(1);
  const missing = s.total - s.delivered;
  const out: string[] = [`${target}: ${s.delivered}/${s.total} delivered in ${secs} s${missing > 0 ? `, ${missing} not delivered` : ''}`];
  const byCode = new Map<string, Map<string, Failure[]>>();
  for (const f of s.failures) {
    let byMessage = byCode.get(f.code);
    if (!byMessage) byCode.set(f.code, (byMessage = new Map<string, Failure[]>()));
    let list = byMessage.get(f.message);
    if (!list) byMessage.set(f.message, (list = []));
    list.push(f);
  }
  for (const [code, byMessage] of byCode) {
    const n = [...byMessage.values()].reduce((sum, l) => sum + l.length, 0);
    out.push(`  ${code}: ${n} message${n === 1 ? '' : 's'}`);
    for (const [message, list] of byMessage) {
      // The group's header names the code already.
      out.push(`    ${message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message}:`);
      for (const f of list.sort((a, b) => a.index - b.index)) out.push(`      ${f.where}`);
    }
  }
  if (s.issued < s.total) {
    out.push(`  not sent: ${s.total - s.issued} message${s.total - s.issued === 1 ? '' : 's'} (stopped)`);
    for (let i = s.issued; i < s.total; i++) out.push(`      ${sources[i]!.where}`);
  }
  process.stderr.write(`${out.join('\n')}\n`);
  return missing === 0;
}
