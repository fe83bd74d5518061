import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalog, type CatalogEntry } from '../../compiler/diagnostics/catalog.ts';
import { renderAll } from '../../compiler/diagnostics/render.ts';
import { compile } from '../../compiler/program.ts';
import { diagnosticProblems, diskHost, jsonOf } from '../helpers/compile.ts';
import { diagnosticCases, expectGolden, goldenModeTest } from '../helpers/golden.ts';

/**
 * One case per catalog code: tests/golden/diagnostics/<code>-<name>/input.midl (plus any files it
 * imports) and expected.json, the diagnostics exactly as `midl check --format json` prints them, with
 * paths relative to the case directory. Cases listed here also pin the human rendering in expected.txt.
 */
const HUMAN_CASES = new Set([
  'MIDL1008-hash-comment',
  'MIDL1101-expected-token',
  'MIDL1107-unclosed-block',
  'MIDL1201-duplicate-name',
  'MIDL1203-unknown-type',
  'MIDL1311-duplicate-enum-value',
  'MIDL1602-missing-version',
]);

const byCode = new Map<string, CatalogEntry>(Object.values(catalog).map((e) => [e.code, e]));
const cases = diagnosticCases();

describe('golden diagnostics', () => {
  it('finds the cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it('pins the human rendering for every case in HUMAN_CASES', () => {
    const names = new Set(cases.map((c) => c.name));
    for (const name of HUMAN_CASES) expect(names.has(name), `${name} is in HUMAN_CASES but has no directory`).toBe(true);
  });

  describe.each(cases)('$name', (c) => {
    it('is named <code>-<catalog name>', () => {
      const entry = byCode.get(c.code);
      expect(entry, `${c.name}: ${c.code} is not a catalog code`).toBeDefined();
      expect(c.slug, `${c.name}: directory should be named ${c.code}-${entry?.name}`).toBe(entry?.name);
      expect(existsSync(c.input), `${c.name}: input.midl is missing`).toBe(true);
    });

    it('reports its own code, and exactly the expected diagnostics', () => {
      const result = compile([c.input], { host: diskHost(c.dir) });
      expect(result.unreadable).toEqual([]);
      expect(diagnosticProblems(result.diagnostics)).toEqual([]);
      const json = jsonOf(result.diagnostics);
      expect(
        json.map((d) => d.code),
        `${c.name} must trigger ${c.code}`,
      ).toContain(c.code);
      expectGolden(join(c.dir, 'expected.json'), JSON.stringify(json, null, 2) + '\n', c.name);
      const txt = join(c.dir, 'expected.txt');
      if (HUMAN_CASES.has(c.name) || existsSync(txt)) expectGolden(txt, renderAll(result.diagnostics, 'human', false), `${c.name} (human)`);
    });
  });

  goldenModeTest('tests/golden');
});
