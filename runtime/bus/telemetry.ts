/**
 * Per-topic measurements of the network Bus: delivery counters and, on the receiving side, latency
 * (envelope timestamp → receipt) and jitter (difference between consecutive latencies), compared with
 * the topic's budget. Every window the Bus turns them into the `telemetry/jitter` and
 * `telemetry/delivery` payloads of idl/telemetry, as the types generated from it into
 * runtime/protocol (durations in µs).
 */
import type { Budget } from '../protocol/types/fountain.core.ts';
import type { DeliveryReport, JitterReport } from '../protocol/types/fountain.telemetry.ts';
import type { AnyTopicDescriptor } from './descriptor.ts';

export interface DeliveryCounters {
  sent: number;
  received: number;
  dropped: number;
  retried: number;
  duplicates: number;
  quarantined: number;
}

/** A `telemetry/jitter` payload: fountain.telemetry.JitterReport, generated into runtime/protocol. */
export type JitterReportValue = JitterReport;

/** A `telemetry/delivery` payload: fountain.telemetry.DeliveryReport, generated into runtime/protocol. */
export type DeliveryReportValue = DeliveryReport;

/** Largest value of a u32 report field (`samples`, `overBudget`): counts beyond it are reported as it. */
const U32_MAX = 0xffff_ffff;

/** Latency samples kept per topic and window: beyond it, samples replace random earlier ones (reservoir). */
const MAX_SAMPLES = 8192;

class TopicMeter {
  readonly counters: DeliveryCounters = { sent: 0, received: 0, dropped: 0, retried: 0, duplicates: 0, quarantined: 0 };
  readonly reported: DeliveryCounters = { ...this.counters };
  latencies: number[] = [];
  jitters: number[] = [];
  seen = 0;
  overBudget = 0;
  max = 0;
  last: number | undefined;
  /** Start of this topic's latency window (performance.now); a breach report ends it early. */
  windowStart = performance.now();

  constructor(readonly topic: AnyTopicDescriptor | undefined) {}

  /** Ends the latency window at `t`: its report, then empty figures from `t` on. */
  closeLatencyWindow(peer: string, topicId: number, t: number, at: Date): JitterReportValue | undefined {
    const report = this.seen > 0 && this.topic ? jitterReport(peer, topicId, this, Math.max(1, Math.round((t - this.windowStart) * 1000)), at) : undefined;
    this.windowStart = t;
    this.latencies = [];
    this.jitters = [];
    this.seen = 0;
    this.overBudget = 0;
    this.max = 0;
    return report;
  }

  /** Records one latency; true when it (or its jitter) broke the topic's budget. */
  sample(latencyUs: number): boolean {
    const jitter = this.last === undefined ? 0 : Math.abs(latencyUs - this.last);
    this.last = latencyUs;
    this.seen++;
    this.max = Math.max(this.max, latencyUs);
    const budget = this.topic?.budget;
    const over = (budget?.latencyUs !== undefined && latencyUs > budget.latencyUs) || (budget?.jitterUs !== undefined && jitter > budget.jitterUs);
    if (over) this.overBudget++;
    if (this.latencies.length < MAX_SAMPLES) {
      this.latencies.push(latencyUs);
      this.jitters.push(jitter);
    } else {
      const i = Math.floor(Math.random() * this.seen);
      if (i < MAX_SAMPLES) {
        this.latencies[i] = latencyUs;
        this.jitters[i] = jitter;
      }
    }
    return over;
  }
}

/** The value at quantile q (0..1) of ascending `sorted`; 0 for none. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export interface TopicSnapshot extends DeliveryCounters {
  readonly topic: string;
  readonly topicId: number;
  readonly samples: number;
  readonly latencyP50Us: number;
  readonly latencyP99Us: number;
  readonly latencyMaxUs: number;
  readonly jitterP95Us: number;
  readonly overBudget: number;
}

export class Telemetry {
  private readonly meters = new Map<number, TopicMeter>();
  private windowStart = performance.now();

  constructor(private readonly topicsById: ReadonlyMap<number, AnyTopicDescriptor>) {}

  counters(topicId: number): DeliveryCounters {
    return this.meter(topicId).counters;
  }

  /** Records a latency of `topicId`; true when it broke the topic's budget. */
  latency(topicId: number, latencyUs: number): boolean {
    return this.meter(topicId).sample(latencyUs);
  }

  /**
   * What is published the moment a budget is broken: the topic's jitter report, ending its latency
   * window there (the next report covers what comes after, so no sample is counted twice).
   */
  breachReport(peer: string, topicId: number): JitterReportValue | undefined {
    const m = this.meters.get(topicId);
    if (!m?.topic || m.seen === 0 || m.topic.address.startsWith('telemetry/')) return undefined;
    return m.closeLatencyWindow(peer, topicId, performance.now(), new Date());
  }

  private meter(topicId: number): TopicMeter {
    let m = this.meters.get(topicId);
    if (!m) this.meters.set(topicId, (m = new TopicMeter(this.topicsById.get(topicId))));
    return m;
  }

  /** Counters since start and latency figures of the current window, per topic. */
  snapshot(): TopicSnapshot[] {
    return [...this.meters.entries()].map(([topicId, m]) => figures(topicId, m));
  }

  /**
   * Closes the window: reports for every topic with samples or changed counters, then a fresh window.
   * Topics whose address starts with `telemetry/` are measured but not reported (a report would cause
   * the next one).
   */
  closeWindow(peer: string): { jitter: JitterReportValue[]; delivery: DeliveryReportValue[] } {
    const t = performance.now();
    const window = Math.max(1, Math.round((t - this.windowStart) * 1000));
    this.windowStart = t;
    const at = new Date();
    const jitter: JitterReportValue[] = [];
    const delivery: DeliveryReportValue[] = [];
    for (const [topicId, m] of this.meters) {
      const topic = m.topic;
      if (!topic || topic.address.startsWith('telemetry/')) continue;
      const latency = m.closeLatencyWindow(peer, topicId, t, at);
      if (latency) jitter.push(latency);
      const c = m.counters;
      const r = m.reported;
      const changed = (Object.keys(c) as (keyof DeliveryCounters)[]).some((k) => c[k] !== r[k]);
      if (changed) {
        delivery.push({ peer, topic: topic.address, topicId, at, window, ...bigints(c, r) });
        Object.assign(r, c);
      }
    }
    return { jitter, delivery };
  }
}

function jitterReport(peer: string, topicId: number, m: TopicMeter, window: number, at: Date): JitterReportValue {
  const topic = m.topic!;
  const snap = figures(topicId, m);
  const budget: Budget | undefined =
    topic.budget.latencyUs === undefined
      ? undefined
      : { latency: topic.budget.latencyUs, ...(topic.budget.jitterUs === undefined ? {} : { jitter: topic.budget.jitterUs }) };
  return {
    peer,
    topic: topic.address,
    topicId,
    at,
    window,
    samples: Math.min(m.seen, U32_MAX),
    latencyP50: snap.latencyP50Us,
    latencyP99: snap.latencyP99Us,
    latencyMax: snap.latencyMaxUs,
    jitterP95: snap.jitterP95Us,
    ...(budget ? { budget } : {}),
    overBudget: Math.min(m.overBudget, U32_MAX),
  };
}

function figures(topicId: number, m: TopicMeter): TopicSnapshot {
  const lat = [...m.latencies].sort((a, b) => a - b);
  const jit = [...m.jitters].sort((a, b) => a - b);
  return {
    topic: m.topic?.address ?? `#${topicId}`,
    topicId,
    ...m.counters,
    samples: m.seen,
    latencyP50Us: quantile(lat, 0.5),
    latencyP99Us: quantile(lat, 0.99),
    latencyMaxUs: m.max,
    jitterP95Us: quantile(jit, 0.95),
    overBudget: m.overBudget,
  };
}

/** Counters of the window (now − at the last report) as the u64 fields of a DeliveryReport. */
function bigints(c: DeliveryCounters, r: DeliveryCounters): Pick<DeliveryReportValue, keyof DeliveryCounters> {
  return {
    sent: BigInt(c.sent - r.sent),
    received: BigInt(c.received - r.received),
    dropped: BigInt(c.dropped - r.dropped),
    retried: BigInt(c.retried - r.retried),
    duplicates: BigInt(c.duplicates - r.duplicates),
    quarantined: BigInt(c.quarantined - r.quarantined),
  };
}
