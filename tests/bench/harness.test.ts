import { describe, expect, it } from 'vitest';
import { BenchCaseError, checkCase, measure, runSuites, type BenchCase, type BenchSuite } from '../../bench/harness.ts';
import { markdownReport, ratioText, runInfo, tableLine } from '../../bench/report.ts';

/** Tiny budgets: these tests check what the harness accepts and reports, not how fast anything is. */
const FAST = { timeMs: 2 } as const;
const busy = (n: number) => () => {
  let x = 0;
  for (let i = 0; i < n; i++) x += i;
  return x;
};
const ok = (name: string, extra: Partial<BenchCase> = {}): BenchCase => ({
  name,
  fn: busy(100),
  baseline: { name: `${name} anchor`, fn: busy(50) },
  minIterations: 3,
  ...extra,
});
/** Async work that really awaits, as the bench's network cases do. */
const later = async <T>(v: T): Promise<T> => {
  await new Promise((r) => setImmediate(r));
  return v;
};
const suite = (name: string, cases: readonly BenchCase[]): BenchSuite => ({ name, cases: () => cases });

describe('ratio text', () => {
  it('has two decimals, and two significant digits below 0.1 so that a small ratio does not print as 0.00', () => {
    expect(ratioText(0.61)).toBe('0.61');
    expect(ratioText(3.456)).toBe('3.46');
    expect(ratioText(0.065)).toBe('0.065');
    expect(ratioText(0.0012345)).toBe('0.0012');
    expect(ratioText(0)).toBe('0.00');
  });
});

describe('bench harness: what it refuses', () => {
  it('refuses a case without an anchor, with an anchor that is the case itself, or with counts that are not positive', () => {
    const noAnchor = { name: 'bare', fn: busy(1) } as unknown as BenchCase;
    expect(() => checkCase(noAnchor)).toThrow(BenchCaseError);
    expect(() => checkCase(noAnchor)).toThrow(/"bare": has no anchor/);
    const fn = busy(1);
    expect(() => checkCase({ name: 'self', fn, baseline: { name: 'other', fn } })).toThrow(/its anchor is the case itself/);
    expect(() => checkCase({ name: 'same', fn, baseline: { name: 'same', fn: busy(2) } })).toThrow(/the case's own name/);
    expect(() => checkCase(ok('zero', { bytesPerOp: 0 }))).toThrow(/bytesPerOp must be a positive number/);
    expect(() => checkCase(ok('nan', { itemsPerOp: Number.NaN }))).toThrow(/itemsPerOp must be a positive number/);
    expect(() => checkCase(ok('anchor bytes', { baseline: { name: 'a', fn: busy(1), bytesPerOp: -1 } }))).toThrow(/baseline.bytesPerOp/);
    expect(() => checkCase(ok('fine'))).not.toThrow();
  });

  it('refuses to time a sync case against an async anchor (and the reverse): they would be measured differently', async () => {
    await expect(measure(ok('sync vs async', { baseline: { name: 'async anchor', fn: async () => later(busy(50)()) } }), FAST)).rejects.toThrow(
      /the case is sync but its anchor is not/,
    );
    await expect(measure(ok('async vs sync', { fn: async () => later(busy(50)()) }), FAST)).rejects.toThrow(/the case is async but its anchor is not/);
  });

  it('refuses a promise-returning function not declared async (tinybench would call it once unmeasured to find out)', async () => {
    const c = ok('hidden async', { fn: () => Promise.resolve(1), baseline: { name: 'declared', fn: async () => later(1) } });
    await expect(measure(c, FAST)).rejects.toThrow(/"hidden async" returns a promise but is not declared `async`/);
  });

  it('refuses a run where two cases share a name, and a suite filter that matches nothing', async () => {
    await expect(runSuites([suite('a', [ok('twice')]), suite('b', [ok('twice')])], FAST)).rejects.toThrow(/"twice" appears twice/);
    await expect(runSuites([suite('codec', [ok('x')])], { ...FAST, filter: 'codce' })).rejects.toThrow(/no bench suite matches "codce"; suites: codec/);
  });
});

describe('bench harness: failures fail the run', () => {
  it('a case or an anchor that throws rejects the run with its error; teardown still runs and later cases do not', async () => {
    const log: string[] = [];
    const failing = ok('throws', {
      fn: () => {
        throw new Error('case broke');
      },
      setup: () => void log.push('setup'),
      teardown: () => void log.push('teardown'),
    });
    const after = ok('after', { setup: () => void log.push('after') });
    await expect(runSuites([suite('s', [failing, after])], FAST)).rejects.toThrow('case broke');
    expect(log).toEqual(['setup', 'teardown']);
    const badAnchor = ok('anchor throws', {
      baseline: {
        name: 'broken anchor',
        fn: () => {
          throw new Error('anchor broke');
        },
      },
    });
    await expect(runSuites([suite('s', [badAnchor])], FAST)).rejects.toThrow('anchor broke');
    const asyncFailure = ok('async failure', {
      fn: async () => {
        await later(0);
        throw new Error('late failure');
      },
      baseline: { name: 'a', fn: async () => later(1) },
    });
    await expect(measure(asyncFailure, FAST)).rejects.toThrow('late failure');
  });

  it('a failing setup rejects without measuring', async () => {
    let ran = false;
    const c = ok('no setup', {
      setup: () => {
        throw new Error('no socket');
      },
      fn: () => void (ran = true),
    });
    await expect(measure(c, FAST)).rejects.toThrow('no socket');
    expect(ran).toBe(false);
  });
});

describe('bench harness: what it reports', () => {
  it('reports both sides from the median call and derives the ratio, rates and figures from those numbers', async () => {
    const seen: string[] = [];
    const [r] = await runSuites(
      [suite('s', [ok('rates', { bytesPerOp: 1000, itemsPerOp: 10, itemsLabel: 'msgs', latency: true, figures: (x) => ({ twice: x.hz * 2 }) })])],
      {
        ...FAST,
        onResult: (x) => seen.push(x.name),
      },
    );
    expect(seen).toEqual(['rates']);
    expect(r).toBeDefined();
    const x = r!;
    expect(x.baselineName).toBe('rates anchor');
    expect(x.runs).toBeGreaterThanOrEqual(3);
    expect(x.baselineRuns).toBeGreaterThanOrEqual(3);
    expect(x.hz).toBeCloseTo(1000 / x.medianMs, 6);
    expect(x.baselineHz).toBeCloseTo(1000 / x.baselineMedianMs, 6);
    expect(x.ratio).toBeCloseTo(x.hz / x.baselineHz, 9);
    expect(x.meanRatio).toBeCloseTo(x.baselineMeanMs / x.meanMs, 9);
    expect(x.mbPerSec).toBeCloseTo((x.hz * 1000) / 1e6, 9);
    expect(x.itemsPerSec).toBeCloseTo(x.hz * 10, 6);
    expect(x.baselineItemsPerSec).toBeCloseTo(x.baselineHz * 10, 6);
    expect(x.p50Ms).toBe(x.medianMs);
    expect(x.baselineP50Ms).toBe(x.baselineMedianMs);
    expect(x.p99Ms).toBeGreaterThanOrEqual(x.p50Ms!);
    expect(x.figures).toEqual({ twice: x.hz * 2 });
    expect(x.baselineMbPerSec).toBeUndefined(); // the anchor declared no bytes of its own
  });

  it('prints each case with its anchor and ratio in the table, and one markdown row per case with the run it came from', async () => {
    const results = await runSuites(
      [suite('s', [ok('first', { itemsPerOp: 4, itemsLabel: 'msgs' }), ok('second | piped', { figures: () => ({ exact: true }) })])],
      FAST,
    );
    const line = tableLine(results[0]!);
    expect(line).toMatch(
      /^first +[\d,.]+ ops\/s, median +[\d.]+ [µm]?s +vs first anchor: [\d,.]+ ops\/s, ratio [\d.]+ \(of means [\d.]+\) +\([\d,]+ msgs\/s, anchor [\d,]+ msgs\/s, runs \d+\/\d+\)$/,
    );
    const md = markdownReport(runInfo(2, 's'), results).split('\n');
    expect(md[0]).toMatch(/^Run \S+, Node v[\d.]+, \S+, \d+ CPUs reported, 2 ms per task, suites matching "s"$/);
    expect(md[2]).toBe('| case | case | anchor | ratio | ratio of means | figures |');
    const rows = md.filter((l) => l.startsWith('| ') && !l.startsWith('| case'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain(`| ${ratioText(results[0]!.ratio)} | ${ratioText(results[0]!.meanRatio)} |`);
    expect(rows[1]).toMatch(/^\| second \\\| piped \| .* \| exact true \|$/);
  });
});
