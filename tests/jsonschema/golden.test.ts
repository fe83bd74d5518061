/**
 * Golden schemas: tests/jsonschema/cases/<name>/input.midl and, per declared type,
 * expected/<package>.<Name>.schema.json exactly as the emitter writes it. Refresh with
 * `MIDL_UPDATE_GOLDEN=1 npx vitest run tests/jsonschema/golden.test.ts` and review the diff.
 * Also: emitting twice gives identical bytes, in one process and in a fresh one.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaJsonPath } from '../../compiler/emitters/jsonschema/index.ts';
import { UPDATE_GOLDEN, expectGolden } from '../helpers/golden.ts';
import { REPO_ROOT, repoPath } from '../helpers/repo.ts';
import { emit, freshAjv, programFromFile, repoPrograms } from './helpers.ts';

const CASES_DIR = repoPath('tests/jsonschema/cases');
const cases = readdirSync(CASES_DIR)
  .filter((n) => statSync(join(CASES_DIR, n)).isDirectory())
  .sort();

describe('golden schemas', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(3);
  });

  describe.each(cases)('%s', (name) => {
    const dir = join(CASES_DIR, name);
    const { ir } = programFromFile(join(dir, 'input.midl'), name);
    const files = emit(ir);

    it('matches expected/ for every declared type, and nothing else is expected', () => {
      const wanted = new Set<string>();
      for (const t of ir.types) {
        const file = files.find((f) => f.path === schemaJsonPath(t.name))!;
        const fileName = `${t.name}.schema.json`;
        wanted.add(fileName);
        expectGolden(join(dir, 'expected', fileName), file.content, `${name}/${t.name}`);
      }
      if (!UPDATE_GOLDEN) {
        const present = readdirSync(join(dir, 'expected'));
        expect(
          present.filter((f) => !wanted.has(f)),
          'expected files no type produces',
        ).toEqual([]);
      }
    });

    it('every schema compiles in strict mode and accepts its example', () => {
      const ajv = freshAjv();
      for (const t of ir.types) {
        const schema = JSON.parse(files.find((f) => f.path === schemaJsonPath(t.name))!.content) as Record<string, unknown>;
        const validate = ajv.compile(schema);
        expect(validate((schema['examples'] as unknown[])[0]), `${t.name}: ${JSON.stringify(validate.errors)}`).toBe(true);
      }
    });
  });
});

describe('determinism', () => {
  it('emitting the same IR twice in one process gives identical files', () => {
    for (const { ir } of repoPrograms()) {
      const a = emit(ir);
      const b = emit(ir);
      expect(b.map((f) => f.path)).toEqual(a.map((f) => f.path));
      for (let i = 0; i < a.length; i++) expect(b[i]!.content, a[i]!.path).toBe(a[i]!.content);
    }
  });

  it('a fresh process emits the same bytes (midl gen --check is clean)', () => {
    let out: string;
    try {
      out = execFileSync(process.execPath, ['bin/midl.mjs', 'gen', '--check'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      // Other emitters' files may be out of date while they are being written; only ours matter here.
      // With encoding 'utf8' the error carries the child's stdout as a string.
      out = (err as { stdout?: string }).stdout ?? '';
      expect(out, String((err as { stderr?: unknown }).stderr ?? err)).not.toBe('');
    }
    const mine = out.split('\n').filter((l) => /generated\/(schemas|validators)\//.test(l));
    expect(mine).toEqual([]);
  });
});
