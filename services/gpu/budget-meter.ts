/**
 * The GPU host's own measurement of each topic's budget: latency from a request's envelope timestamp to
 * the moment the host answered it (what a requester waits for, service time included), compared with
 * the topic's declared `budget`. It never refuses anything: a topic's budget is reported, as
 * `telemetry/jitter` reports (fountain.telemetry.JitterReport) at the end of each window and at once
 * when a request breaks it (at most once per window per topic). Only a job's own `JobDispatch.budget`
 * refuses work, and that is the engine's.
 */
import type { AnyTopicDescriptor } from '../../runtime/index.ts';
import type { JitterReport } from '../../generated/index.ts';

/** Latency samples kept per topic and window; beyond it a sample replaces a random earlier one (reservoir). */
const MAX_SAMPLES = 4_096;
const U32_MAX = 0xffff_ffff;

interface Window {
  readonly topic: AnyTopicDescriptor;
  latencies: number[];
  jitters: number[];
  seen: number;
  overBudget: number;
  max: number;
  last: number | undefined;
  start: number;
  /** When a breach report for this topic last went out (performance.now), or undefined. */
  breachReported: number | undefined;
}

export interface BudgetMeterOptions {
  /** The peer name the reports carry. */
  readonly peer: string;
  /** Window length in ms (1000). */
  readonly intervalMs?: number;
  /** Where a report goes (the host publishes it on telemetry/jitter). */
  readonly report: (report: JitterReport) => void;
  /** Wall clock in µs since the epoch (Date.now() × 1000); tests pass their own. */
  readonly nowUs?: () => number;
}

export interface TopicBudgetFigures {
  readonly samples: number;
  readonly overBudget: number;
}

export class BudgetMeter {
  private readonly windows = new Map<number, Window>();
  /** Totals since the meter started, per topic address (for the host's counters). */
  private readonly totals = new Map<string, { samples: number; overBudget: number }>();
  private readonly intervalMs: number;
  private readonly nowUs: () => number;

  constructor(private readonly options: BudgetMeterOptions) {
    this.intervalMs = options.intervalMs ?? 1_000;
    if (!(this.intervalMs > 0)) throw new RangeError(`BudgetMeter: intervalMs must be positive, got ${this.intervalMs}`);
    this.nowUs = options.nowUs ?? (() => Date.now() * 1_000);
  }

  /** Records one answered request that was published at `timestampUs`; true when it broke the topic's budget. */
  record(topic: AnyTopicDescriptor, timestampUs: bigint): boolean {
    const latency = Math.max(0, this.nowUs() - Number(timestampUs));
    let w = this.windows.get(topic.id);
    if (!w) {
      w = { topic, latencies: [], jitters: [], seen: 0, overBudget: 0, max: 0, last: undefined, start: performance.now(), breachReported: undefined };
      this.windows.set(topic.id, w);
    }
    const jitter = w.last === undefined ? 0 : Math.abs(latency - w.last);
    w.last = latency;
    w.seen++;
    w.max = Math.max(w.max, latency);
    const { latencyUs, jitterUs } = topic.budget;
    const over = (latencyUs !== undefined && latency > latencyUs) || (jitterUs !== undefined && jitter > jitterUs);
    if (over) w.overBudget++;
    if (w.latencies.length < MAX_SAMPLES) {
      w.latencies.push(latency);
      w.jitters.push(jitter);
    } else {
      const i = Math.floor(Math.random() * w.seen);
      if (i < MAX_SAMPLES) {
        w.latencies[i] = latency;
        w.jitters[i] = jitter;
      }
    }
    const total = this.totals.get(topic.address) ?? { samples: 0, overBudget: 0 };
    total.samples++;
    if (over) total.overBudget++;
    this.totals.set(topic.address, total);
    if (over) {
      const now = performance.now();
      if (w.breachReported === undefined || now - w.breachReported >= this.intervalMs) {
        w.breachReported = now;
        this.options.report(this.reportOf(w, now));
      }
    }
    return over;
  }

  /** Ends every topic's window: a report for each that measured something. */
  flush(): void {
    const now = performance.now();
    for (const w of this.windows.values()) {
      if (w.seen > 0) this.options.report(this.reportOf(w, now));
      Object.assign(w, { latencies: [], jitters: [], seen: 0, overBudget: 0, max: 0, start: now });
    }
  }

  /** Samples and budget breaches per topic address since the meter started. */
  figures(): Readonly<Record<string, TopicBudgetFigures>> {
    return Object.fromEntries([...this.totals].map(([k, v]) => [k, { ...v }]));
  }

  private reportOf(w: Window, now: number): JitterReport {
    const { latencyUs, jitterUs } = w.topic.budget;
    return {
      peer: this.options.peer,
      topic: w.topic.address,
      topicId: w.topic.id,
      at: new Date(this.nowUs() / 1_000),
      window: Math.max(1, Math.round((now - w.start) * 1_000)),
      samples: Math.min(w.seen, U32_MAX),
      latencyP50: percentile(w.latencies, 0.5),
      latencyP99: percentile(w.latencies, 0.99),
      latencyMax: w.max,
      jitterP95: percentile(w.jitters, 0.95),
      ...(latencyUs === undefined ? {} : { budget: { latency: latencyUs, ...(jitterUs === undefined ? {} : { jitter: jitterUs }) } }),
      overBudget: Math.min(w.overBudget, U32_MAX),
    };
  }
}

function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
}
