import { loadFiles } from './binder/load.ts';
import { checkProgram, type CheckOptions } from './checker/checker.ts';
import { sortDiagnostics, type Diagnostic } from './diagnostics/diagnostic.ts';
import { nodeHost, type CompilerHost } from './host.ts';
import type { IrProgram } from './ir/ir.ts';

export interface CompileResult {
  /** Present even with errors (built from what could be checked); emitters must not run when `hasErrors`. */
  readonly ir: IrProgram;
  readonly diagnostics: readonly Diagnostic[];
  readonly hasErrors: boolean;
  /** Entry files that could not be read (a usage problem, not a schema error). */
  readonly unreadable: readonly string[];
  /** Every file read, absolute paths (imports included), e.g. for watch mode. */
  readonly files: readonly string[];
}

/** The front end in one call: load → parse → bind → check → IR. Never throws for bad input. */
export function compile(entries: readonly string[], options: CheckOptions & { host?: CompilerHost } = {}): CompileResult {
  const loaded = loadFiles(entries, options.host ?? nodeHost());
  const { ir, diagnostics } = checkProgram(loaded, options);
  const all = sortDiagnostics([...loaded.diagnostics.all, ...loaded.files.flatMap((f) => f.parsed.diagnostics.all), ...diagnostics.all]);
  return {
    ir,
    diagnostics: all,
    hasErrors: all.some((d) => d.severity === 'error'),
    unreadable: loaded.unreadable,
    files: loaded.files.map((f) => f.absPath),
  };
}
