import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../helpers/repo.ts';

/**
 * `npm run -s bench -- <args>` as a user runs it (without -s, npm prints its own banner on stdout before
 * the script's output), on tiny time budgets: these tests check what is printed, not how fast anything is.
 */
function bench(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '-s', 'bench', '--', ...args],
      { cwd: repoPath(), env: { ...process.env, MIDL_BENCH_TIME_MS: '2' }, timeout: 60_000, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('npm run bench', () => {
  it('--json prints one JSON document: the run, and every case with its anchor and ratio', async () => {
    const { code, stdout, stderr } = await bench(['envelope', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { run: Record<string, unknown>; results: Record<string, unknown>[] };
    expect(doc.run).toMatchObject({ filter: 'envelope', timeMsPerTask: 2, node: process.version });
    expect(Number.isNaN(Date.parse(doc.run.date as string))).toBe(false);
    expect(doc.results.length).toBe(7);
    for (const r of doc.results) {
      expect([typeof r.name, typeof r.baselineName, typeof r.hz, typeof r.baselineHz]).toEqual(['string', 'string', 'number', 'number']);
      expect(r.ratio).toBeCloseTo((r.hz as number) / (r.baselineHz as number), 9);
      expect(r.ratio as number).toBeGreaterThan(0);
      expect(r.meanRatio).toBeCloseTo((r.baselineMeanMs as number) / (r.meanMs as number), 9);
    }
    expect(doc.results.map((r) => r.name)).toContain('crc32 64 KiB');
    expect(doc.results.find((r) => r.name === 'crc32 64 KiB')?.baselineName).toBe('node:zlib crc32 64 KiB');
  });

  it('a typo in a suite name or an option fails before measuring', async () => {
    const typo = await bench(['envelop3']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/no bench suite matches "envelop3"; suites: .*envelope/);
    const option = await bench(['--jsn']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/unknown option --jsn/);
  });
});
