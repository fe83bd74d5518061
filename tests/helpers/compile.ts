import { readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { allEntries } from '../../compiler/diagnostics/catalog.ts';
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.ts';
import { toJson, type JsonDiagnostic } from '../../compiler/diagnostics/render.ts';
import type { CompilerHost } from '../../compiler/host.ts';
import { compile, type CompileResult } from '../../compiler/program.ts';

/** Every code of the catalog. */
export const CATALOG_CODES: ReadonlySet<string> = new Set(allEntries().map((e) => e.code));

function relativeTo(dir: string, abs: string): string {
  return relative(dir, abs).split(sep).join('/');
}

/** Reads from disk; paths in diagnostics are relative to `dir` (a golden case directory). */
export function diskHost(dir: string): CompilerHost {
  return { readFile: (p) => readFileSync(p, 'utf8'), displayPath: (p) => relativeTo(dir, p) };
}

/**
 * In-memory files (keys are absolute paths) laid over the disk: imports of a mutated real schema still
 * find their neighbours. With `fallbackToDisk: false` only the given files exist.
 */
export function memoryHost(files: ReadonlyMap<string, string>, displayRoot: string, fallbackToDisk = false): CompilerHost {
  return {
    readFile: (p) => {
      const text = files.get(p);
      if (text !== undefined) return text;
      if (fallbackToDisk) return readFileSync(p, 'utf8');
      throw Object.assign(new Error(`ENOENT: no such file '${p}'`), { code: 'ENOENT' });
    },
    displayPath: (p) => relativeTo(displayRoot, p),
  };
}

/** A root for virtual files that exists on no machine. */
export const VIRTUAL_ROOT = resolve('/midl-virtual');

/** Compiles one source text as `input.midl` (plus optional neighbours by file name) entirely in memory. */
export function compileText(text: string, neighbours: Readonly<Record<string, string>> = {}): CompileResult {
  const files = new Map<string, string>([[resolve(VIRTUAL_ROOT, 'input.midl'), text]]);
  for (const [name, body] of Object.entries(neighbours)) files.set(resolve(VIRTUAL_ROOT, name), body);
  return compile([resolve(VIRTUAL_ROOT, 'input.midl')], { host: memoryHost(files, VIRTUAL_ROOT) });
}

export function jsonOf(list: readonly Diagnostic[]): JsonDiagnostic[] {
  return list.map(toJson);
}

/**
 * The invariants every diagnostic must keep, whatever the input: a catalog code, a severity matching
 * the catalog, and a span inside its own file. Returns the problems found (empty when all is well).
 */
export function diagnosticProblems(list: readonly Diagnostic[]): string[] {
  const problems: string[] = [];
  const severity = new Map<string, string>(allEntries().map((e) => [e.code, e.severity]));
  for (const d of list) {
    const where = `${d.code} '${d.message}'`;
    if (!CATALOG_CODES.has(d.code)) problems.push(`${where}: code not in the catalog`);
    else if (severity.get(d.code) !== d.severity) problems.push(`${where}: severity ${d.severity}, catalog says ${severity.get(d.code)}`);
    if (!d.span) continue;
    const { start, end, file } = d.span;
    const len = file.text.length;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > len) {
      problems.push(`${where}: span [${start}, ${end}) outside ${file.path} (length ${len})`);
      continue;
    }
    const j = toJson(d);
    const lines = file.text.split('\n');
    const lineOk = (line: number | null, col: number | null) =>
      line !== null && col !== null && line >= 1 && line <= lines.length && col >= 1 && col <= (lines[line - 1] ?? '').length + 1;
    if (!lineOk(j.line, j.column) || !lineOk(j.endLine, j.endColumn))
      problems.push(`${where}: position ${j.line}:${j.column}-${j.endLine}:${j.endColumn} outside ${file.path}`);
  }
  return problems;
}
