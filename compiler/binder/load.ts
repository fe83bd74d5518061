import { dirname, resolve } from 'node:path';
import type { HeaderDecl } from '../ast/nodes.ts';
import { DiagnosticBag } from '../diagnostics/diagnostic.ts';
import type { CompilerHost } from '../host.ts';
import { parseFile, type ParsedFile } from '../parser/parse.ts';
import { SourceFile } from '../source.ts';

export interface LoadedImport {
  readonly header: HeaderDecl;
  /** Absolute path of the imported file, when it could be read. */
  readonly target: string | undefined;
}

export interface LoadedFile {
  readonly absPath: string;
  readonly parsed: ParsedFile;
  readonly imports: readonly LoadedImport[];
}

export interface LoadResult {
  /** Every file reached from the entries, entries first, then imports in discovery order. */
  readonly files: readonly LoadedFile[];
  readonly byPath: ReadonlyMap<string, LoadedFile>;
  readonly diagnostics: DiagnosticBag;
  /** Entry files that could not be read at all (the CLI exits 2 for these). */
  readonly unreadable: readonly string[];
}

/** Reads and parses the entry files and, transitively, everything they import; reports cycles. */
export function loadFiles(entries: readonly string[], host: CompilerHost): LoadResult {
  const diagnostics = new DiagnosticBag();
  const byPath = new Map<string, LoadedFile>();
  const files: LoadedFile[] = [];
  const unreadable: string[] = [];

  const read = (absPath: string): SourceFile | Error => {
    try {
      return new SourceFile(host.displayPath(absPath), host.readFile(absPath));
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  };

  const visit = (absPath: string, source: SourceFile): void => {
    const parsed = parseFile(source);
    const imports: LoadedImport[] = [];
    const file: LoadedFile = { absPath, parsed, imports };
    byPath.set(absPath, file);
    files.push(file);
    for (const header of parsed.ast.headers) {
      if (header.kind !== 'import' || header.value === undefined) continue;
      const target = resolve(dirname(absPath), header.value);
      if (target === absPath) {
        diagnostics.add('importSelf', {}, header.valueSpan, { help: 'remove this import' });
        imports.push({ header, target: undefined });
        continue;
      }
      if (!byPath.has(target)) {
        const text = read(target);
        if (text instanceof Error) {
          diagnostics.add('importNotFound', { path: header.value }, header.valueSpan, {
            help: `import paths are relative to the importing file; this one resolves to ${host.displayPath(target)}`,
          });
          imports.push({ header, target: undefined });
          continue;
        }
        visit(target, text);
      }
      imports.push({ header, target });
    }
  };

  for (const entry of entries) {
    const abs = resolve(entry);
    if (byPath.has(abs)) continue;
    const text = read(abs);
    if (text instanceof Error) {
      unreadable.push(abs);
      diagnostics.add('unreadableInput', { path: host.displayPath(abs), reason: readFailure(text) }, undefined, {
        help: 'check the path given on the command line or in midl.yaml',
      });
      continue;
    }
    visit(abs, text);
  }
  reportCycles(files, byPath, diagnostics);
  return { files, byPath, diagnostics, unreadable };
}

/** Depth-first search; each cycle is reported once, at the import that closes it. */
function reportCycles(files: readonly LoadedFile[], byPath: ReadonlyMap<string, LoadedFile>, diagnostics: DiagnosticBag): void {
  const state = new Map<string, 'active' | 'done'>();
  const stack: LoadedFile[] = [];
  const walk = (file: LoadedFile): void => {
    state.set(file.absPath, 'active');
    stack.push(file);
    for (const imp of file.imports) {
      if (!imp.target) continue;
      const s = state.get(imp.target);
      if (s === 'active') {
        const from = stack.findIndex((f) => f.absPath === imp.target);
        const cycle = [...stack.slice(from), byPath.get(imp.target)!].map((f) => f.parsed.ast.file.path).join(' → ');
        diagnostics.add('importCycle', { cycle }, imp.header.valueSpan, { help: 'move the shared declarations into a third file that both import' });
      } else if (s === undefined) {
        const next = byPath.get(imp.target);
        if (next) walk(next);
      }
    }
    stack.pop();
    state.set(file.absPath, 'done');
  };
  for (const f of files) if (!state.has(f.absPath)) walk(f);
}

function readFailure(err: Error): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
      return 'permission denied';
    default:
      return err.message;
  }
}
