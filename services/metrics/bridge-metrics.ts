/**
 * The Flex bridge's own metrics: envelopes received, replies by kind (and FlexError name), the
 * duration of service calls by service, and the calls in flight. `flexBridgeMetrics` gives the
 * observer to hand to `serveFlexBridge` (`observer`) and, once the bridge runs, `watch` reads its
 * in-flight count at scrape time.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { FlexBridge } from '../bridge/bridge.ts';
import type { FlexBridgeObserver } from '../bridge/observer.ts';

/** Call durations (s): from a local service's milliseconds to the bridge's 10 s default timeout and past it. */
const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface FlexBridgeMetrics {
  readonly observer: FlexBridgeObserver;
  /** Reads `bridge.inFlight` at every scrape from now on. */
  watch(bridge: FlexBridge): void;
}

/** Registers the bridge's metrics in `registry`. Label values come from the schema (services, FlexError names), so they stay few. */
export function flexBridgeMetrics(registry: Registry): FlexBridgeMetrics {
  const envelopes = new Counter({ name: 'midl_bridge_envelopes_received_total', help: 'Flex envelopes received on flex/envelope', registers: [registry] });
  const replies = new Counter({
    name: 'midl_bridge_replies_total',
    help: 'Replies published on flex/reply/{corr}, by kind (ack, progress, success, error) and, for errors, the FlexError name',
    labelNames: ['kind', 'error'],
    registers: [registry],
  });
  const calls = new Histogram({
    name: 'midl_bridge_call_duration_seconds',
    help: 'Duration of service calls (token fetch and a retry after 401 included), by service and outcome',
    labelNames: ['service', 'outcome'],
    buckets: CALL_BUCKETS,
    registers: [registry],
  });
  let bridge: FlexBridge | undefined;
  new Gauge({
    name: 'midl_bridge_in_flight_calls',
    help: 'Envelopes accepted whose final reply is not sent yet',
    registers: [registry],
    collect() {
      this.set(bridge?.inFlight ?? 0);
    },
  });
  return {
    observer: {
      envelope: () => envelopes.inc(),
      replied: (kind, error) => replies.inc({ kind, error: error ?? '' }),
      called: (service, seconds, outcome) => calls.observe({ service, outcome }, seconds),
    },
    watch(b) {
      bridge = b;
    },
  };
}
