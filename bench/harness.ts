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
}
