/**
 * Everything `midl gen` writes as TypeScript is prettier-canonical under the repository's
 * .prettierrc.json: for idl/ (what generated/ holds) and for every golden case, each `.ts` and
 * `.d.ts` file equals prettier's formatting of itself. While generating, the writer checks every
 * line it prints on its fast path against its full layout (verifyFastPath), so that the fast path
 * cannot drift from the layout rules. (The ajv validators, `.js`, are ajv's code: see .prettierignore.)
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandInputs } from '../../compiler/config.ts';
import type { EmittedFile } from '../../compiler/emitters/emitter.ts';
import { emitAll } from '../../compiler/emitters/index.ts';
import { verifyFastPath } from '../../compiler/emitters/shared/ts/index.ts';
import { compile } from '../../compiler/program.ts';
import { repoPath } from '../helpers/repo.ts';

interface Job {
  readonly name: string;
  readonly inputs: () => string[];
  readonly runtimeImport: string;
}

const caseDirs = (root: string) =>
  readdirSync(repoPath(root))
    .filter((n) => statSync(repoPath(root, n)).isDirectory())
    .sort()
    .map((n) => join(root, n));

const jobs: Job[] = [
  { name: 'idl', inputs: () => expandInputs([repoPath('idl')]), runtimeImport: '../runtime/index.ts' },
  ...[...caseDirs('tests/cases'), ...caseDirs('tests/jsonschema/cases')].map((dir) => ({
    name: dir,
    inputs: () => expandInputs([repoPath(dir)]).filter((f) => !f.includes('/expected/')),
    runtimeImport: dir.includes('registry-') ? 'midl/runtime' : '../../../../runtime/index.ts',
  })),
];

/** The first line where `a` and `b` differ, both versions, for a failure message. */
function firstDifference(path: string, actual: string, formatted: string): string {
  const a = actual.split('\n');
  const b = formatted.split('\n');
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `${path}:${i + 1} is not as prettier formats it\n  written:  ${JSON.stringify(a[i] ?? '(end of file)')}\n  prettier: ${JSON.stringify(b[i] ?? '(end of file)')}`;
}

let options: prettier.Options;
beforeAll(async () => {
  options = { ...(await prettier.resolveConfig(repoPath('generated/index.ts'), { editorconfig: false })), parser: 'typescript' };
  verifyFastPath(true);
});
afterAll(() => verifyFastPath(false));

describe('generated TypeScript is prettier-canonical', () => {
  it('uses the repository prettier config', () => {
    expect(options).toMatchObject({ printWidth: 160, singleQuote: true });
  });

  for (const job of jobs) {
    it(job.name, async () => {
      const result = compile(job.inputs());
      expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
      const files: readonly EmittedFile[] = emitAll(result.ir, { runtimeImport: job.runtimeImport });
      const ts = files.filter((f) => f.path.endsWith('.ts'));
      expect(ts.length).toBeGreaterThan(0);
      for (const f of ts) {
        const formatted = await prettier.format(f.content, options);
        if (formatted !== f.content) expect.fail(firstDifference(`${job.name}: ${f.path}`, f.content, formatted));
      }
    });
  }
});
