/**
 * `npm run -s bench -- [<suite>] [--json | --markdown]`: loads bench/suites/*.ts, measures every case
 * beside its anchor and prints the table (as it goes), the JSON document or the markdown table. Any
 * failing case fails the run with a non-zero exit.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { BenchCaseError, runSuites, type BenchSuite } from './harness.ts';
import { jsonReport, markdownReport, runInfo, tableLine } from './report.ts';

const FORMATS = ['--json', '--markdown'] as const;

function usage(problem: string): never {
  process.stderr.write(
    `${problem}\nusage: npm run -s bench -- [<suite name part>] [--json | --markdown] (-s: without it npm prints its banner on stdout); MIDL_BENCH_TIME_MS sets the time per task\n`,
  );
  process.exit(2);
}

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const names = args.filter((a) => !a.startsWith('--'));
for (const f of flags) if (!(FORMATS as readonly string[]).includes(f)) usage(`unknown option ${f}`);
if (flags.length > 1) usage(`choose one of ${FORMATS.join(', ')}`);
if (names.length > 1) usage(`one suite filter at most, got ${names.join(', ')}`);
const format = flags[0] ?? 'table';
const filter = names[0];
const timeText = process.env.MIDL_BENCH_TIME_MS ?? '400';
const timeMs = Number(timeText);
if (!Number.isFinite(timeMs) || timeMs <= 0) usage(`MIDL_BENCH_TIME_MS must be a positive number of milliseconds, got "${timeText}"`);

async function loadSuites(): Promise<BenchSuite[]> {
  const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'suites');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort();
  const suites: BenchSuite[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { suite?: BenchSuite };
    if (!mod.suite || typeof mod.suite.name !== 'string' || typeof mod.suite.cases !== 'function')
      throw new BenchCaseError(`bench/suites/${file} exports no \`suite\` ({ name, cases })`);
    suites.push(mod.suite);
  }
  return suites;
}

const info = runInfo(timeMs, filter);
try {
  const suites = await loadSuites();
  if (filter !== undefined && !suites.some((s) => s.name.includes(filter)))
    usage(`no bench suite matches "${filter}"; suites: ${suites.map((s) => s.name).join(', ')}`);
  const results = await runSuites(suites, {
    timeMs,
    ...(filter !== undefined ? { filter } : {}),
    onResult: (r) => {
      if (format === 'table') process.stdout.write(tableLine(r) + '\n');
    },
  });
  if (format === '--json') process.stdout.write(jsonReport(info, results));
  if (format === '--markdown') process.stdout.write(markdownReport(info, results));
} catch (err) {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  // Exit now: a failed case's sockets or timers must not keep a failed run alive.
  process.exit(1);
}
