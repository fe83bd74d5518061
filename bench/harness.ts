/**
 * The bench harness: what a case must declare, the checks that refuse a case whose ratio would mean
 * nothing, and the measurement of a case beside its anchor in the same run (absolute times on a shared
 * machine are noise; the ratio is the figure).
 */
import { Bench } from 'tinybench';

/** The reference a case is compared with: the same work (same input, same items, same sync/async shape) done by something else. */
export interface Anchor {
  readonly name: string;
  readonly fn: () => unknown;
  /** Bytes the anchor processes per call, when they differ from the case's (its MB/s is then reported too). */
  readonly bytesPerOp?: number;
}

/** A benchmark case measured together with its anchor in the same run. */
export interface BenchCase {
  /** e.g. "codec encode Common (midl)"; unique in a run. */
  readonly name: string;
  readonly fn: () => unknown;
  /** Required: a case without an anchor has no ratio, and a bare ops/s on a shared machine says nothing. */
  readonly baseline: Anchor;
  /** Bytes processed per call, to report MB/s. */
  readonly bytesPerOp?: number;
  /** Source lines processed per call, to report lines/s. */
  readonly linesPerOp?: number;
  /** Items (messages, tokens…) per call, case and anchor alike, to report items/s. */
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

/** A suite is a file under bench/suites/ exporting `suite` (its cases, or an async factory for them). */
export interface BenchSuite {
  readonly name: string;
  readonly cases: () => Promise<readonly BenchCase[]> | readonly BenchCase[];
}

export interface BenchResult {
  name: string;
  /**
   * Calls per second at the median call time (1000 / medianMs; items/s and MB/s derive from it). The
   * median, not the mean: on a shared machine a call descheduled for 20 ms would otherwise outweigh
   * thousands of sub-microsecond ones, and decide the ratio by which side it happened to hit.
   */
  hz: number;
  medianMs: number;
  /** Kept for reference; it includes whatever pauses the machine imposed. */
  meanMs: number;
  /** Measured calls (warm-up excluded). */
  runs: number;
  baselineName: string;
  baselineHz: number;
  baselineMedianMs: number;
  baselineMeanMs: number;
  baselineRuns: number;
  /** hz / baselineHz: above 1 means faster than the anchor. The figure to compare. */
  ratio: number;
  /**
   * baselineMeanMs / meanMs: the same ratio from mean call times, which count garbage collection and
   * whatever pauses the machine imposed. Far from `ratio`, it says the run was disturbed or one side's
   * cost comes in rare long calls (collections after large allocations).
   */
  meanRatio: number;
  mbPerSec?: number;
  baselineMbPerSec?: number;
  linesPerSec?: number;
  itemsPerSec?: number;
  baselineItemsPerSec?: number;
  itemsLabel?: string;
  /** Per-call time percentiles (ms), for `latency` cases. */
  p50Ms?: number;
  p99Ms?: number;
  baselineP50Ms?: number;
  baselineP99Ms?: number;
  figures?: Record<string, number | string | boolean>;
}

export interface MeasureOptions {
  /** Time budget per task (case, then anchor), in ms. */
  readonly timeMs: number;
}

/** A case the harness refuses to measure, or a measurement that cannot be reported honestly. */
export class BenchCaseError extends Error {
  override readonly name = 'BenchCaseError';
}

const isPositiveNumber = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n > 0;

/**
 * Refuses a case whose result would mislead: no anchor (suites are loaded at run time, so the type alone
 * does not keep one out), an anchor that is the case itself, counts that are not positive numbers.
 */
export function checkCase(c: BenchCase): void {
  // Read as what a suite module may really hold, whatever its declared type says.
  const raw = c as unknown as { name?: unknown; fn?: unknown; baseline?: { name?: unknown; fn?: unknown; bytesPerOp?: unknown } | null };
  const name = typeof raw.name === 'string' && raw.name.trim() !== '' ? raw.name : undefined;
  const where = name !== undefined ? `bench case "${name}"` : 'a bench case without a name';
  if (name === undefined) throw new BenchCaseError(`${where}: needs a name`);
  if (typeof raw.fn !== 'function') throw new BenchCaseError(`${where}: fn is not a function`);
  const anchor = raw.baseline;
  if (anchor === undefined || anchor === null)
    throw new BenchCaseError(`${where}: has no anchor; every case runs beside an anchor doing the same work, or it is not a case`);
  if (typeof anchor.name !== 'string' || anchor.name.trim() === '') throw new BenchCaseError(`${where}: its anchor needs a name`);
  if (anchor.name === name) throw new BenchCaseError(`${where}: its anchor has the case's own name`);
  if (typeof anchor.fn !== 'function') throw new BenchCaseError(`${where}: its anchor's fn is not a function`);
  if (anchor.fn === raw.fn) throw new BenchCaseError(`${where}: its anchor is the case itself`);
  for (const [key, value] of [
    ['bytesPerOp', c.bytesPerOp],
    ['linesPerOp', c.linesPerOp],
    ['itemsPerOp', c.itemsPerOp],
    ['minIterations', c.minIterations],
    ['baseline.bytesPerOp', anchor.bytesPerOp],
  ] as const) {
    if (value !== undefined && !isPositiveNumber(value))
      throw new BenchCaseError(`${where}: ${key} must be a positive number, got ${typeof value === 'number' ? value : JSON.stringify(value)}`);
  }
}

type TaskStats = { latency?: { mean?: number; p50?: number; p99?: number; samples?: readonly number[] }; error?: unknown };

/** Runs `c` (setup, case, anchor, teardown — teardown even when measuring failed) and returns its result; any failure rejects. */
export async function measure(c: BenchCase, options: MeasureOptions): Promise<BenchResult> {
  checkCase(c);
  await c.setup?.();
  try {
    return await measureSetUp(c, options);
  } finally {
    await c.teardown?.();
  }
}

async function measureSetUp(c: BenchCase, { timeMs }: MeasureOptions): Promise<BenchResult> {
  const bench = new Bench({
    time: timeMs,
    warmupTime: Math.min(200, timeMs / 2),
    // A case that throws must fail the run, not report 0 ops/s.
    throws: true,
    ...(c.minIterations !== undefined ? { iterations: c.minIterations, warmupIterations: 1 } : {}),
  });
  bench.add(c.name, c.fn);
  bench.add(c.baseline.name, c.baseline.fn);
  // tinybench awaits each call of an async task and not of a sync one (it decides by calling a plain
  // function once, unmeasured, when it is added): the two sides must be timed the same way, and async
  // work must be declared `async`, so no unmeasured call is left running beside the measured ones.
  const shapes = bench.tasks.map((task) => {
    const isAsync = (task as unknown as { async?: unknown }).async;
    if (typeof isAsync !== 'boolean') throw new BenchCaseError('tinybench no longer says whether a task is async; the harness cannot check the case');
    const fn = task.name === c.name ? c.fn : c.baseline.fn;
    if (isAsync && fn.constructor.name !== 'AsyncFunction')
      throw new BenchCaseError(`bench task "${task.name}" returns a promise but is not declared \`async\`: write it as an async function`);
    return isAsync;
  });
  if (shapes[0] !== shapes[1])
    throw new BenchCaseError(`bench case "${c.name}": the case is ${shapes[0] ? 'async' : 'sync'} but its anchor is not; both must be measured the same way`);
  await bench.run();
  const statsOf = (name: string): { hz: number; medianMs: number; meanMs: number; runs: number; p99Ms: number } => {
    const result = bench.tasks.find((t) => t.name === name)?.result as TaskStats | undefined;
    if (result?.error !== undefined) {
      if (result.error instanceof Error) throw result.error;
      throw new BenchCaseError(`bench task "${name}" failed with a non-Error: ${JSON.stringify(result.error)}`, { cause: result.error });
    }
    const { p50, mean, p99 } = result?.latency ?? {};
    const runs = result?.latency?.samples?.length ?? 0;
    // A task with no measured call, or calls too fast for the clock, has no rate to report.
    if (p50 === undefined || mean === undefined || p99 === undefined || !(p50 > 0) || runs === 0)
      throw new BenchCaseError(`bench task "${name}": no measurable run (median ${String(p50)} ms over ${runs} runs)`);
    return { hz: 1000 / p50, medianMs: p50, meanMs: mean, runs, p99Ms: p99 };
  };
  const s = statsOf(c.name);
  const b = statsOf(c.baseline.name);
  const result: BenchResult = {
    name: c.name,
    hz: s.hz,
    medianMs: s.medianMs,
    meanMs: s.meanMs,
    runs: s.runs,
    baselineName: c.baseline.name,
    baselineHz: b.hz,
    baselineMedianMs: b.medianMs,
    baselineMeanMs: b.meanMs,
    baselineRuns: b.runs,
    ratio: s.hz / b.hz,
    meanRatio: b.meanMs / s.meanMs,
  };
  if (c.bytesPerOp !== undefined) result.mbPerSec = (s.hz * c.bytesPerOp) / 1e6;
  if (c.baseline.bytesPerOp !== undefined) result.baselineMbPerSec = (b.hz * c.baseline.bytesPerOp) / 1e6;
  if (c.linesPerOp !== undefined) result.linesPerSec = s.hz * c.linesPerOp;
  if (c.itemsPerOp !== undefined) {
    result.itemsPerSec = s.hz * c.itemsPerOp;
    result.baselineItemsPerSec = b.hz * c.itemsPerOp;
  }
  if (c.itemsLabel !== undefined) result.itemsLabel = c.itemsLabel;
  if (c.latency) {
    result.p50Ms = s.medianMs;
    result.p99Ms = s.p99Ms;
    result.baselineP50Ms = b.medianMs;
    result.baselineP99Ms = b.p99Ms;
  }
  if (c.figures) result.figures = c.figures(result);
  return result;
}

export interface RunOptions extends MeasureOptions {
  /** Only suites whose name contains this; one matching none is an error (a typo, not an empty run). */
  readonly filter?: string;
  /** Called with each result as soon as it is measured (the table prints as it goes). */
  readonly onResult?: (result: BenchResult) => void;
}

/** Measures every case of the chosen suites in order; rejects on the first failure or on a name used twice. */
export async function runSuites(suites: readonly BenchSuite[], options: RunOptions): Promise<BenchResult[]> {
  const { filter } = options;
  if (filter !== undefined && !suites.some((s) => s.name.includes(filter)))
    throw new BenchCaseError(`no bench suite matches "${filter}"; suites: ${suites.map((s) => s.name).join(', ')}`);
  const results: BenchResult[] = [];
  const names = new Set<string>();
  for (const suite of suites) {
    if (filter !== undefined && !suite.name.includes(filter)) continue;
    for (const c of await suite.cases()) {
      // JSON consumers key results by name; two cases of one name would make one of them unreadable.
      if (names.has(c.name)) throw new BenchCaseError(`bench case "${c.name}" appears twice (suite ${suite.name})`);
      names.add(c.name);
      const r = await measure(c, options);
      results.push(r);
      options.onResult?.(r);
    }
  }
  return results;
}
