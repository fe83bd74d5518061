/**
 * How bench results are written: one table line per case as it is measured, the `--json` document, and
 * the `--markdown` table that bench/README.md quotes (so its figures are the run's own, not retyped).
 */
import { cpus } from 'node:os';
import type { BenchResult } from './harness.ts';

export function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '-';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A call time in the unit that shows its digits: µs below a millisecond, s above a second. */
export function fmtTime(ms: number): string {
  if (ms < 1) return `${fmt(ms * 1000, 2)} µs`;
  if (ms < 1000) return `${fmt(ms, 2)} ms`;
  return `${fmt(ms / 1000, 2)} s`;
}

/** A ratio: two decimals, or two significant digits below 0.1 so that a small one does not print as 0.00. */
export function ratioText(v: number): string {
  return Math.abs(v) < 0.1 && v !== 0 ? v.toPrecision(2) : fmt(v, 2);
}

/** Two significant decimals below 10, none above: ratios and factors stay readable without rounding up small ones to 0. */
function figure(v: number | string | boolean): string {
  return typeof v === 'number' ? fmt(v, Math.abs(v) < 10 && !Number.isInteger(v) ? 2 : 0) : String(v);
}

/** The rates of one side (case or anchor) of a result, as text. */
function rates(r: BenchResult, side: 'case' | 'anchor'): string[] {
  const own = side === 'case';
  const mb = own ? r.mbPerSec : r.baselineMbPerSec;
  const items = own ? r.itemsPerSec : r.baselineItemsPerSec;
  const p50 = own ? r.p50Ms : r.baselineP50Ms;
  const p99 = own ? r.p99Ms : r.baselineP99Ms;
  return [
    mb !== undefined ? `${fmt(mb, 1)} MB/s` : '',
    own && r.linesPerSec !== undefined ? `${fmt(r.linesPerSec)} lines/s` : '',
    items !== undefined ? `${fmt(items)} ${r.itemsLabel ?? 'items'}/s` : '',
    p50 !== undefined ? `p50 ${fmt(p50, 3)} ms, p99 ${fmt(p99, 3)} ms` : '',
  ].filter(Boolean);
}

/** One line of the table `npm run bench` prints. */
export function tableLine(r: BenchResult): string {
  const hz = (n: number) => fmt(n, n < 10 ? 2 : 0);
  const extra = [
    ...rates(r, 'case'),
    ...rates(r, 'anchor').map((s) => `anchor ${s}`),
    `runs ${r.runs}/${r.baselineRuns}`,
    ...Object.entries(r.figures ?? {}).map(([k, v]) => `${k} ${figure(v)}`),
  ].join(', ');
  return (
    `${r.name.padEnd(52)} ${hz(r.hz).padStart(12)} ops/s, median ${fmtTime(r.medianMs).padStart(10)}` +
    `  vs ${r.baselineName}: ${hz(r.baselineHz)} ops/s, ratio ${ratioText(r.ratio)} (of means ${ratioText(r.meanRatio)})  (${extra})`
  );
}

export interface RunInfo {
  /** ISO time the run started. */
  readonly date: string;
  readonly node: string;
  readonly platform: string;
  /** Logical CPUs the OS reports (on a shared VM, not what this process gets). */
  readonly cpus: number;
  /** Time budget per task in ms (MIDL_BENCH_TIME_MS). */
  readonly timeMsPerTask: number;
  /** The suite filter given, if any. */
  readonly filter: string | null;
}

export function runInfo(timeMsPerTask: number, filter: string | undefined): RunInfo {
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    timeMsPerTask,
    filter: filter ?? null,
  };
}

/** The `--json` document: the run's circumstances and every result, ratio included. */
export function jsonReport(info: RunInfo, results: readonly BenchResult[]): string {
  return JSON.stringify({ run: info, results }, null, 2) + '\n';
}

/** The `--markdown` table: one row per case, both sides' rates and the ratio, figures in the last column. */
export function markdownReport(info: RunInfo, results: readonly BenchResult[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const side = (r: BenchResult, which: 'case' | 'anchor') => {
    const hz = which === 'case' ? r.hz : r.baselineHz;
    return [`${fmt(hz, hz < 10 ? 2 : 0)} ops/s`, ...rates(r, which)].join(', ');
  };
  const rows = results.map((r) =>
    [
      cell(r.name),
      cell(side(r, 'case')),
      cell(`${r.baselineName}: ${side(r, 'anchor')}`),
      ratioText(r.ratio),
      ratioText(r.meanRatio),
      cell(
        Object.entries(r.figures ?? {})
          .map(([k, v]) => `${k} ${figure(v)}`)
          .join(', '),
      ),
    ].join(' | '),
  );
  return (
    `Run ${info.date}, Node ${info.node}, ${info.platform}, ${info.cpus} CPUs reported, ${info.timeMsPerTask} ms per task` +
    (info.filter !== null ? `, suites matching "${info.filter}"` : '') +
    '\n\n| case | case | anchor | ratio | ratio of means | figures |\n|---|---|---|---|---|---|\n' +
    rows.map((r) => `| ${r} |`).join('\n') +
    '\n'
  );
}
