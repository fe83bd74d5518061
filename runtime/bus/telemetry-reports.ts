/**
 * Publishing a node's telemetry on the bus: the latency/jitter and delivery reports at the end of
 * each window, and a topic's jitter report at once when a message breaks its budget (at most once
 * per window per topic). telemetry.ts measures; this decides when a report goes out and where,
 * apart from network.ts because it only uses the bus's public `publish`.
 */
import { maskAllows } from './capabilities.ts';
import type { TopicDescriptor } from './descriptor.ts';
import type { LinkReportValue } from './peer-meter.ts';
import type { DeliveryReportValue, JitterReportValue, Telemetry } from './telemetry.ts';

export interface NetworkTelemetryOptions {
  /** Where latency/jitter reports go (a `telemetry/jitter` registry entry); not published when absent. */
  readonly jitter?: TopicDescriptor<JitterReportValue>;
  /** Where delivery counters go (a `telemetry/delivery` registry entry). */
  readonly delivery?: TopicDescriptor<DeliveryReportValue>;
  /** Where each session's link counters go (a `telemetry/link` registry entry). */
  readonly link?: TopicDescriptor<LinkReportValue>;
  /** Length of a measurement window (default 1000 ms). */
  readonly intervalMs?: number;
}

/** What the reports need of the bus. */
export interface ReportHost {
  readonly name: string;
  readonly telemetry: Telemetry;
  readonly options: NetworkTelemetryOptions | undefined;
  /** The capabilities the node holds now. */
  capabilities(): bigint;
  isClosed(): boolean;
  /** The window's `telemetry/link` reports of the sessions in which something was counted (each closes its session's window). */
  linkReports(): LinkReportValue[];
  publish<V>(topic: TopicDescriptor<V>, value: V): Promise<void>;
  onError(error: unknown, address: string): void;
}

export class TelemetryReports {
  /** When each topic's last budget-breach report went out (performance.now). */
  private readonly breaches = new Map<number, number>();

  constructor(private readonly host: ReportHost) {}

  /** A budget was broken: the topic's jitter report goes out now (at most once per window per topic). */
  breach(topicId: number): void {
    const { host } = this;
    const t = host.options;
    if (!t?.jitter || host.isClosed() || !maskAllows(host.capabilities(), t.jitter.publish)) return;
    const now = performance.now();
    const last = this.breaches.get(topicId);
    if (last !== undefined && now - last < (t.intervalMs ?? 1_000)) return;
    const report = host.telemetry.breachReport(host.name, topicId);
    if (!report) return;
    this.breaches.set(topicId, now);
    const topic = t.jitter;
    host.publish(topic, report).catch((err: unknown) => host.onError(err, topic.address));
  }

  /** The window closed: its reports go out. */
  report(): void {
    const { host } = this;
    const t = host.options;
    if (!t || host.isClosed()) return;
    const { jitter, delivery } = host.telemetry.closeWindow(host.name);
    const publish = <V>(topic: TopicDescriptor<V> | undefined, values: readonly V[]) => {
      if (!topic || !maskAllows(host.capabilities(), topic.publish)) return;
      for (const v of values) host.publish(topic, v).catch((err: unknown) => host.onError(err, topic.address));
    };
    publish(t.jitter, jitter);
    publish(t.delivery, delivery);
    if (t.link) publish(t.link, host.linkReports());
  }
}
