import { Binder, packageOf } from '../binder/binder.ts';
import type { LoadResult } from '../binder/load.ts';
import { DiagnosticBag } from '../diagnostics/diagnostic.ts';
import { deepFreeze, type IrProgram } from '../ir/ir.ts';
import { assignCapabilityBits } from './capabilities.ts';
import { CheckContext } from './context.ts';
import { checkHeaders } from './headers.ts';
import { checkTopicsAndIntents } from './topics.ts';
import { checkTypes } from './types.ts';

export interface CheckOptions {
  /** Capability bits pinned in midl.lock, by capability name. */
  readonly lockedCapabilityBits?: ReadonlyMap<string, number>;
}

/** Binds and checks a loaded program; returns the frozen IR and every diagnostic found. */
export function checkProgram(loaded: LoadResult, options: CheckOptions = {}): { ir: IrProgram; diagnostics: DiagnosticBag } {
  const diagnostics = new DiagnosticBag();
  const binder = new Binder(loaded, diagnostics);
  const ctx = new CheckContext(binder, diagnostics);
  const packages = checkHeaders(loaded.files, diagnostics);
  const { types, errorSets } = checkTypes(ctx, loaded.files, packageOf);
  const capabilities = assignCapabilityBits(ctx, binder.capabilities, options.lockedCapabilityBits ?? new Map());
  const { topics, intents } = checkTopicsAndIntents(ctx, loaded.files, packages, types, packageOf);
  for (const file of loaded.files) {
    for (const imp of file.imports) {
      if (imp.target && !binder.usedImports.has(imp) && !file.parsed.hasSyntaxErrors) {
        diagnostics.add('unusedImport', { path: imp.header.value ?? '' }, imp.header.span, { help: 'remove the import' });
      }
    }
  }
  return { ir: deepFreeze({ packages, types, errorSets, capabilities, topics, intents }), diagnostics };
}
