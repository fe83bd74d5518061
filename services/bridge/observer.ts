/**
 * What the Flex bridge tells an observer as it works (services/metrics turns it into Prometheus
 * metrics). Called synchronously on the bridge's path: an observer only counts, and must not throw.
 */
export interface FlexBridgeObserver {
  /** An envelope arrived on flex/envelope (before any check). */
  envelope(): void;
  /** A reply was published on flex/reply/{corr}; `error` is the FlexError name of an error reply (`STALE`, `UPSTREAM_ERROR`, …). */
  replied(kind: 'ack' | 'progress' | 'success' | 'error', error?: string): void;
  /** A service call ended after `seconds` (token fetch and retries included) with this outcome. */
  called(service: string, seconds: number, outcome: 'success' | 'error'): void;
}
