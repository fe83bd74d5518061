/**
 * A benchmark case measured together with its anchor (baseline) in the same run, so the ratio means
 * something on a shared machine where absolute times are noise.
 */
export interface BenchCase {
  /** e.g. "codec encode Common (midl)" */
  readonly name: string;
  readonly fn: () => unknown;
  readonly baseline?: { readonly name: string; readonly fn: () => unknown };
  /** Bytes processed per call, to report MB/s. */
  readonly bytesPerOp?: number;
  /** Source lines processed per call, to report lines/s. */
  readonly linesPerOp?: number;
  /** Items (messages, tokens…) per call, to report items/s. */
  readonly itemsPerOp?: number;
  /**
   * At least this many measured runs (and one warm-up run) besides the time budget;
   * tinybench's own minimum is 64 runs and 16 warm-ups, too many for a case that takes seconds.
   */
  readonly minIterations?: number;
  /** What the items are called in the table ("msgs", "tokens"); default "items". */
  readonly itemsLabel?: string;
  /** Report p50/p99 of the per-call time (case and anchor): for cases where one call is one round trip. */
  readonly latency?: boolean;
  /**
   * Runs before the case is measured / after it (always, even when it failed): for cases that need
   * sockets or sessions, so they exist only while their own case runs (no background traffic in others).
   */
  readonly setup?: () => Promise<void> | void;
  readonly teardown?: () => Promise<void> | void;
  /** Extra figures computed from the result (targets, sizes, counters); printed as `key value` and kept in the JSON. */
  readonly figures?: (result: BenchResult) => Record<string, number | string | boolean>;
}

/** A suite is a file under bench/suites/ exporting `cases` (or an async factory for them). */
export interface BenchSuite {
  readonly name: string;
  readonly cases: () => Promise<readonly BenchCase[]> | readonly BenchCase[];
}

export interface BenchResult {
  name: string;
  hz: number;
  meanMs: number;
  baselineName: string | null;
  baselineHz: number | null;
  /** hz / baselineHz: above 1 means faster than the anchor. */
  ratio: number | null;
  mbPerSec?: number;
  linesPerSec?: number;
  itemsPerSec?: number;
  itemsLabel?: string;
  /** Per-call time percentiles (ms), for `latency` cases. */
  p50Ms?: number;
  p99Ms?: number;
  baselineP50Ms?: number;
  baselineP99Ms?: number;
  figures?: Record<string, number | string | boolean>;
}
