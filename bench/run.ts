import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import type { BenchCase, BenchResult, BenchSuite } from './harness.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const filter = args.find((a) => !a.startsWith('--'));
const timeMs = Number(process.env.MIDL_BENCH_TIME_MS ?? 400);

async function loadSuites(): Promise<BenchSuite[]> {
  const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'suites');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort();
  const suites: BenchSuite[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { suite: BenchSuite };
    suites.push(mod.suite);
  }
  return suites;
}

async function measure(c: BenchCase): Promise<BenchResult> {
  await c.setup?.();
  try {
    return await measureSetUp(c);
  } finally {
    await c.teardown?.();
  }
}

async function measureSetUp(c: BenchCase): Promise<BenchResult> {
  const bench = new Bench({
    time: timeMs,
    warmupTime: Math.min(200, timeMs / 2),
    // A case that throws must fail the run, not report 0 ops/s.
    throws: true,
    ...(c.minIterations !== undefined ? { iterations: c.minIterations, warmupIterations: 1 } : {}),
  });
  bench.add(c.name, c.fn);
  if (c.baseline) bench.add(c.baseline.name, c.baseline.fn);
  await bench.run();
  type TaskStats = { throughput?: { mean: number }; hz?: number; latency?: { p50?: number; p99?: number }; error?: unknown };
  const statsOf = (name: string): TaskStats | undefined => bench.tasks.find((t) => t.name === name)?.result as TaskStats | undefined;
  const hzOf = (name: string): number => {
    const result = statsOf(name);
    if (result?.error) throw result.error;
    return result?.throughput?.mean ?? result?.hz ?? 0;
  };
  const hz = hzOf(c.name);
  const baselineHz = c.baseline ? hzOf(c.baseline.name) : null;
  const result: BenchResult = {
    name: c.name,
    hz,
    meanMs: hz > 0 ? 1000 / hz : Number.NaN,
    baselineName: c.baseline?.name ?? null,
    baselineHz,
    ratio: baselineHz ? hz / baselineHz : null,
  };
  if (c.bytesPerOp !== undefined) result.mbPerSec = (hz * c.bytesPerOp) / 1e6;
  if (c.linesPerOp !== undefined) result.linesPerSec = hz * c.linesPerOp;
  if (c.itemsPerOp !== undefined) result.itemsPerSec = hz * c.itemsPerOp;
  if (c.itemsLabel !== undefined) result.itemsLabel = c.itemsLabel;
  if (c.latency) {
    const own = statsOf(c.name)?.latency;
    if (own?.p50 !== undefined) result.p50Ms = own.p50;
    if (own?.p99 !== undefined) result.p99Ms = own.p99;
    const anchor = c.baseline ? statsOf(c.baseline.name)?.latency : undefined;
    if (anchor?.p50 !== undefined) result.baselineP50Ms = anchor.p50;
    if (anchor?.p99 !== undefined) result.baselineP99Ms = anchor.p99;
  }
  if (c.figures) result.figures = c.figures(result);
  return result;
}

function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '-';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function figure(v: number | string | boolean): string {
  return typeof v === 'number' ? fmt(v, Math.abs(v) < 10 && !Number.isInteger(v) ? 2 : 0) : String(v);
}

const results: BenchResult[] = [];
const suites = await loadSuites();
// `npm run bench -- <name>` runs the suites whose name contains <name>; a name matching none is a typo, not an empty run.
if (filter && !suites.some((s) => s.name.includes(filter))) {
  process.stderr.write(`no bench suite matches "${filter}"; suites: ${suites.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}
for (const suite of suites) {
  if (filter && !suite.name.includes(filter)) continue;
  for (const c of await suite.cases()) {
    const r = await measure(c);
    results.push(r);
    if (!json) {
      const extra = [
        r.mbPerSec !== undefined ? `${fmt(r.mbPerSec, 1)} MB/s` : '',
        r.linesPerSec !== undefined ? `${fmt(r.linesPerSec)} lines/s` : '',
        r.itemsPerSec !== undefined ? `${fmt(r.itemsPerSec)} ${r.itemsLabel ?? 'items'}/s` : '',
        r.p50Ms !== undefined ? `p50 ${fmt(r.p50Ms, 3)} ms, p99 ${fmt(r.p99Ms, 3)} ms` : '',
        r.baselineP50Ms !== undefined ? `anchor p50 ${fmt(r.baselineP50Ms, 3)} ms, p99 ${fmt(r.baselineP99Ms, 3)} ms` : '',
        ...Object.entries(r.figures ?? {}).map(([k, v]) => `${k} ${figure(v)}`),
      ]
        .filter(Boolean)
        .join(', ');
      process.stdout.write(
        `${r.name.padEnd(52)} ${fmt(r.hz, r.hz < 10 ? 2 : 0).padStart(12)} ops/s ${fmt(r.meanMs, 3).padStart(10)} ms` +
          (r.baselineName ? `  vs ${r.baselineName}: ${fmt(r.baselineHz)} ops/s, ratio ${fmt(r.ratio, 2)}` : '') +
          (extra ? `  (${extra})` : '') +
          '\n',
      );
    }
  }
}
if (json) process.stdout.write(JSON.stringify({ results }, null, 2) + '\n');
