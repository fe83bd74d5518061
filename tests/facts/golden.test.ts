/**
 * Golden outputs of the facts and docs emitters. A case is a directory of tests/facts/cases/: it holds
 * `input.midl`, or is named after a directory of examples/ that serves as its input, and the expected
 * files (`facts.json`, `openai.json`, `anthropic.json`, `mcp.json`, `fountain-pe.json`, `README.md`).
 * `MIDL_UPDATE_GOLDEN=1 npx vitest run tests/facts` rewrites them; review the diff before committing.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectGolden, goldenModeTest } from '../helpers/golden.ts';
import { repoPath } from '../helpers/repo.ts';
import { emitted, exampleDirs, programOfDir } from './helpers.ts';

const CASES_DIR = repoPath('tests/facts/cases');

const cases = readdirSync(CASES_DIR)
  .filter((n) => statSync(join(CASES_DIR, n)).isDirectory())
  .sort()
  .map((name) => {
    const dir = join(CASES_DIR, name);
    const own = join(dir, 'input.midl');
    return { name, dir, input: existsSync(own) ? own : repoPath('examples', name) };
  });

describe('facts golden cases', () => {
  it('has a case for every example directory', () => {
    const names = new Set(cases.map((c) => c.name));
    for (const d of exampleDirs()) expect(names.has(d), `tests/facts/cases/${d} is missing`).toBe(true);
    for (const c of cases) expect(existsSync(c.input), `${c.name}: no input.midl and no examples/${c.name}`).toBe(true);
  });

  describe.each(cases)('$name', (c) => {
    const files = emitted(programOfDir(c.input, c.name).ir);

    it.each(files.map((f) => ({ file: basename(f.path), content: f.content })))('$file matches', ({ file, content }) => {
      expectGolden(join(c.dir, file), content, `${c.name}/${file}`);
    });

    it('has no expected file the emitters no longer write', () => {
      const written = new Set(files.map((f) => basename(f.path)));
      const stale = readdirSync(c.dir).filter((f) => f !== 'input.midl' && !written.has(f));
      expect(stale).toEqual([]);
    });
  });

  goldenModeTest('tests/facts/cases');
});
