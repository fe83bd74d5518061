/**
 * An SSE bridge's `SseCounters` (services/sse/counters.ts) as Prometheus metrics, read at scrape time:
 * the bridges only add to the plain object, and nothing here runs between scrapes. The link figures
 * (bytes, ACKs, NACKs, retransmissions, gaps, RTT) are the bus's (`busMetrics`); coalescing per flush is
 * `streamMetrics`. docs/metrics.md § SSE bridges lists the metrics.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SseCounters } from '../sse/counters.ts';

type CounterField = Exclude<keyof SseCounters, 'reorderDepthMax'>;
const COUNTERS: readonly (readonly [string, string, CounterField])[] = [
  ['midl_sse_streams_opened_total', 'Streams begun: the upstream answered text/event-stream (ingress), or a client got one (egress)', 'streamsOpened'],
  ['midl_sse_streams_done_total', 'Streams that ended normally', 'streamsDone'],
  ['midl_sse_streams_errored_total', 'Streams that ended in an error event (upstream failure, gap, lost peer, bad event text)', 'streamsErrored'],
  ['midl_sse_streams_cancelled_total', 'Streams cancelled because the HTTP client went away (egress) or the egress asked (ingress)', 'streamsCancelled'],
  ['midl_sse_plain_answers_total', 'Requests answered without a stream (an error status, or a plain JSON answer)', 'plainAnswers'],
  ['midl_sse_events_total', 'Server-sent events read from the upstream (ingress) or written to HTTP clients (egress)', 'sseEvents'],
  ['midl_sse_bus_events_total', 'Bus events on sse/stream/{id} published (ingress) or received (egress), done and error events included', 'busEvents'],
  ['midl_sse_text_chars_total', 'UTF-16 units of event text carried in bus events', 'textChars'],
  ['midl_sse_fragments_total', 'Bus events that were fragments of one event too long for a bus event', 'fragments'],
  ['midl_sse_duplicates_total', 'Bus events received twice and dropped (egress)', 'duplicates'],
];

export interface SseMetricsOptions {
  /** Streams open now (`SseIngress.open` / `SseEgress.open`), as a gauge; left out without it. */
  readonly open?: () => number;
}

/** Registers the metrics of one SSE bridge's `counters` in `registry` (once per registry). */
export function sseMetrics(registry: Registry, counters: SseCounters, options: SseMetricsOptions = {}): void {
  for (const [name, help, field] of COUNTERS) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(counters[field]);
      },
    });
  }
  new Gauge({
    name: 'midl_sse_reorder_depth_max_events',
    help: "Most bus events of one stream held at once waiting for an earlier seq (egress; the bus's own reordering is midl_bus_reorder_depth_max_frames)",
    registers: [registry],
    collect() {
      this.set(counters.reorderDepthMax);
    },
  });
  const open = options.open;
  if (open !== undefined)
    new Gauge({
      name: 'midl_sse_open_streams',
      help: 'Requests and streams being relayed now',
      registers: [registry],
      collect() {
        this.set(open());
      },
    });
}
