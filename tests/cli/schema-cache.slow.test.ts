import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_TEST_TIMEOUT_MS, removeTempProjects, runMidl, stackTraceLines, tempProject } from '../helpers/cli.ts';
import { CALC_SCHEMA } from '../helpers/calc-schema.ts';
import { repoPath } from '../helpers/repo.ts';

/**
 * Issue 12, item 4: operator commands compile the schema into a cache, and must work where the tree is
 * read-only (the ALSA guest). A cache place that cannot be written is passed over for the next one.
 * The command is one that loads the schema and stops before the network: an invalid `--json`.
 */
const scratch = mkdtempSync(join(tmpdir(), 'midl-cache-test-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  removeTempProjects();
});

const INVALID = /^error: --json: not a calc\.test\.Division: .*\nnothing sent: 1 invalid payload/;

describe('the schema cache', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('lands in $MIDL_CACHE_DIR, and past it when that cannot be written', async () => {
    // A version of its own, so no earlier run's cache entry already holds it.
    const version = `1.0.${process.pid}${Date.now() % 1_000_000}`;
    const schema = `${tempProject({ 'calc.midl': CALC_SCHEMA.replace('version "1.0.0";', `version "${version}";`) })}/calc.midl`;
    const call = (cacheDir: string) =>
      runMidl(['call', '--schema', schema, '--to', 'udp://127.0.0.1:9', '--topic', 'calc/divide/alu', '--json', '{"a":"x","b":"1"}'], {
        env: { MIDL_CACHE_DIR: cacheDir },
      });
    const writable = join(scratch, 'cache');
    // A directory cannot be made under a plain file, whoever runs the test (root included).
    const blocked = join(scratch, 'a-file');
    writeFileSync(blocked, '');
    // One after the other: an entry either of them wrote first would serve the other.
    const there = await call(writable);
    const entries = readdirSync(writable).filter((name) => /^[0-9a-f]{64}$/.test(name));
    expect(entries).toHaveLength(1);
    const past = await call(join(blocked, 'cache'));
    for (const r of [there, past]) {
      expect(stackTraceLines(r.stderr)).toEqual([]);
      expect(r.stderr).toMatch(INVALID);
      expect(r.code).toBe(1);
    }
    // The next place in line: beside the installed packages.
    expect(existsSync(join(repoPath('node_modules', '.cache', 'midl'), entries[0]!))).toBe(true);
  });
});
