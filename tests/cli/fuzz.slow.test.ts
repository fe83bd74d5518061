import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CATALOG_CODES } from '../helpers/compile.ts';
import { CLI_TEST_TIMEOUT_MS, inBatches, removeTempProjects, runMidl, stackTraceLines, tempProject } from '../helpers/cli.ts';
import { applyEdits, fuzzSeed, mutation } from '../helpers/fuzz.ts';
import { findMidlFiles, repoPath, repoRelative } from '../helpers/repo.ts';

/**
 * Mutated real schemas through the real CLI: `midl check <file> --format json` must exit 0 or 1, print
 * a JSON array of catalog diagnostics on stdout, and never a stack trace. Each spawn costs about 1.5 s of
 * CPU (mostly tsx start-up), so CI runs 40; MIDL_CLI_FUZZ_RUNS=300 runs the long version. The in-process
 * fuzz tests (tests/frontend/fuzz.test.ts) run the same compiler on hundreds more inputs.
 */
const RUNS = Math.max(1, Number(process.env['MIDL_CLI_FUZZ_RUNS'] ?? '40') || 40);
const SOURCE_DIRS = ['idl', 'examples', 'tests/golden'];

afterAll(removeTempProjects);

describe('CLI fuzzing', () => {
  it(`midl check survives ${RUNS} mutated schemas`, { timeout: CLI_TEST_TIMEOUT_MS + RUNS * 10_000 }, async () => {
    const sources = findMidlFiles(SOURCE_DIRS).map(repoRelative);
    expect(sources.length).toBeGreaterThan(0);
    // A copy of the schema trees, so that mutants sit next to the files they import.
    const root = tempProject();
    for (const d of SOURCE_DIRS) cpSync(repoPath(d), join(root, d), { recursive: true, filter: (src) => !src.endsWith('.json') && !src.endsWith('.txt') });
    const samples = fc.sample(fc.tuple(fc.constantFrom(...sources), mutation), { numRuns: RUNS, ...fuzzSeed() });
    const mutants = samples.map(([source, edits], i) => {
      const rel = join(dirname(source), `fuzz-${i}.midl`);
      const text = applyEdits(readFileSync(repoPath(source), 'utf8'), edits);
      writeFileSync(join(root, rel), text);
      return { rel, source, text };
    });

    const failures: string[] = [];
    await inBatches(mutants, 4, async (m) => {
      const r = await runMidl(['check', m.rel, '--format', 'json'], { cwd: root });
      const problems: string[] = [];
      if (r.code !== 0 && r.code !== 1) problems.push(`exit code ${r.code} (signal ${r.signal})`);
      const trace = stackTraceLines(r.stderr);
      if (trace.length > 0) problems.push(`stack trace on stderr: ${r.stderr.slice(0, 400)}`);
      try {
        const list = JSON.parse(r.stdout) as unknown;
        if (!Array.isArray(list)) problems.push('stdout is JSON but not an array');
        else {
          const codes = list.map((d) => (d as { code?: unknown }).code);
          const foreign = codes.filter((c) => typeof c !== 'string' || !CATALOG_CODES.has(c));
          if (foreign.length > 0) problems.push(`codes outside the catalog: ${foreign.join(', ')}`);
          if ((r.code === 1) !== list.some((d) => (d as { severity?: unknown }).severity === 'error'))
            problems.push(`exit code ${r.code} disagrees with the diagnostics`);
        }
      } catch {
        problems.push(`stdout is not JSON: ${JSON.stringify(r.stdout.slice(0, 200))}`);
      }
      if (problems.length > 0) failures.push(`${m.rel} (mutant of ${m.source}): ${problems.join('; ')}\n  input: ${JSON.stringify(m.text)}`);
    });
    expect(failures).toEqual([]);
  });
});
