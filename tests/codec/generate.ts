/**
 * Generates code for schemas given as text (compiled in memory) into a temporary directory and imports
 * the `types/<package>.ts` modules, so tests can exercise codecs of schemas that are not in idl/.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { schemasEmitter } from '../../compiler/emitters/jsonschema/index.ts';
import { typesModule } from '../../compiler/emitters/shared/names.ts';
import { tsEmitter } from '../../compiler/emitters/ts/index.ts';
import type { IrProgram } from '../../compiler/ir/ir.ts';
import type { Codec } from '../../runtime/codec/index.ts';
import { compileText } from '../helpers/compile.ts';
import { repoPath } from '../helpers/repo.ts';

export type CodecModule = Readonly<Record<string, Codec<unknown>>>;

export interface Generated {
  readonly ir: IrProgram;
  /** Modules by package name. */
  readonly modules: ReadonlyMap<string, CodecModule>;
}

/** Compiles `text` (as input.midl, with neighbours by file name), generates and imports every package's types module. */
export async function generate(text: string, neighbours: Readonly<Record<string, string>> = {}): Promise<Generated> {
  const result = compileText(text, neighbours);
  if (result.hasErrors) throw new Error(`schema has errors: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  const out = mkdtempSync(join(tmpdir(), 'midl-codec-test-'));
  const options = { runtimeImport: pathToFileURL(repoPath('runtime/index.ts')).href };
  for (const f of [tsEmitter, schemasEmitter].flatMap((e) => e.emit(result.ir, options))) {
    const path = join(out, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
  }
  const modules = new Map<string, CodecModule>();
  for (const pkg of new Set(result.ir.types.map((t) => t.package))) {
    modules.set(pkg, (await import(pathToFileURL(join(out, `${typesModule(pkg)}.ts`)).href)) as CodecModule);
  }
  return { ir: result.ir, modules };
}
