import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { emitAll } from '../../compiler/emitters/index.ts';
import type { IrProgram } from '../../compiler/ir/ir.ts';
import { repoPath } from './repo.ts';

/**
 * Writes everything `midl gen` emits for `ir`, plus `use.ts` holding `use` (a program that imports
 * `./index.ts` and the runtime as `../../../runtime/index.ts`), into a fresh directory below tmp/ (git
 * ignores it; the runtime and node_modules resolve as they do for generated/), and type-checks it with
 * tsc under the repository's strict tsconfig. Returns tsc's exit code and output; `dir` is the
 * directory made, for the caller to remove.
 */
export async function typecheckGenerated(ir: IrProgram, use: string, prefix: string): Promise<{ code: number; out: string; dir: string }> {
  const root = repoPath('tmp');
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(join(root, prefix));
  const out = join(dir, 'gen');
  for (const f of emitAll(ir, { runtimeImport: '../../../runtime/index.ts' })) {
    mkdirSync(dirname(join(out, f.path)), { recursive: true });
    writeFileSync(join(out, f.path), f.content);
  }
  writeFileSync(join(out, 'use.ts'), use);
  writeFileSync(join(out, 'tsconfig.json'), JSON.stringify({ extends: '../../../tsconfig.json', include: ['.'] }));
  const r = await new Promise<{ code: number; out: string }>((resolve) =>
    execFile(
      process.execPath,
      [repoPath('node_modules/typescript/bin/tsc'), '-p', join(out, 'tsconfig.json'), '--noEmit'],
      { maxBuffer: 8 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }),
    ),
  );
  return { ...r, dir };
}
