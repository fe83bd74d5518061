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
  const bench = new Bench({
    time: timeMs,
    warmupTime: Math.min(200, timeMs / 2),
    ...(c.minIterations !== undefined ? { iterations: c.minIterations, warmupIterations: 1 } : {}),
  });
  bench.add(c.name, c.fn);
  if (c.baseline) bench.add(c.baseline.name, c.baseline.fn);
  await bench.run();
  const hzOf = (name: string): number => {
    const task = bench.tasks.find((t) => t.name === name);
    const result = task?.result as { throughput?: { mean: number }; hz?: number } | undefined;
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
  return result;
}

function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '-';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

const results: BenchResult[] = [];
for (const suite of await loadSuites()) {
  if (filter && !suite.name.includes(filter)) continue;
  for (const c of await suite.cases()) {
    const r = await measure(c);
    results.push(r);
    if (!json) {
      const extra = [
        r.mbPerSec !== undefined ? `${fmt(r.mbPerSec, 1)} MB/s` : '',
        r.linesPerSec !== undefined ? `${fmt(r.linesPerSec)} lines/s` : '',
        r.itemsPerSec !== undefined ? `${fmt(r.itemsPerSec)} items/s` : '',
      ].filter(Boolean).join(', ');
      process.stdout.write(
        `${r.name.padEnd(52)} ${fmt(r.hz, r.hz < 10 ? 2 : 0).padStart(12)} ops/s ${fmt(r.meanMs, 3).padStart(10)} ms` +
          (r.baselineName ? `  vs ${r.baselineName}: ${fmt(r.baselineHz)} ops/s, ratio ${fmt(r.ratio, 2)}` : '') +
          (extra ? `  (${extra})` : '') + '\n',
      );
    }
  }
}
if (json) process.stdout.write(JSON.stringify({ results }, null, 2) + '\n');
