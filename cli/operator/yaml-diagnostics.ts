/**
 * What the operator's YAML files (`midl peer --policy`, `midl bridge --policy`) share: parsing with
 * positions, and problems as the compiler's diagnostics (file:line:col, a code frame, a `help:` line).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isScalar, LineCounter, parseDocument, type Document, type Pair } from 'yaml';
import { createDiagnostic, renderHuman, sortDiagnostics, SourceFile, type Diagnostic, type DiagnosticId } from '../../compiler/index.ts';

/** A policy file's problems, each a rendered-ready diagnostic. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    const sorted = sortDiagnostics(diagnostics);
    super(sorted.map((d) => renderHuman(d)).join('\n\n'));
    this.diagnostics = sorted;
  }
}

/** A YAML node's range, as the `yaml` package gives it. */
export type Ranged = { readonly range?: readonly number[] | null } | null | undefined;

/** The span of `node` in `file` (at least one character, so the frame has a caret). */
export function spanOf(file: SourceFile, node: Ranged | readonly number[]) {
  const range = Array.isArray(node) ? (node as readonly number[]) : ((node as Ranged)?.range ?? undefined);
  const start = range?.[0] ?? 0;
  return { file, start, end: Math.max(start + 1, range?.[1] ?? start + 1) };
}

export function yamlDiagnostic(
  id: DiagnosticId,
  args: Readonly<Record<string, string>>,
  file: SourceFile,
  node: Ranged | readonly number[],
  help: string,
  notes?: Diagnostic['notes'],
): Diagnostic {
  return createDiagnostic(id, args, spanOf(file, node), { help, ...(notes ? { notes } : {}) });
}

/** A mapping key as text. */
export function keyText(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

/**
 * `path` parsed (a key twice in one mapping is an error), named relative to the working directory.
 * YAML syntax errors become `id` diagnostics in `problems`; the document is undefined then.
 * Throws the read error (ENOENT, EACCES) as it is.
 */
export function readYamlFile(path: string, id: DiagnosticId, problems: Diagnostic[], help: string): { file: SourceFile; doc: Document.Parsed | undefined } {
  const text = readFileSync(path, 'utf8');
  const file = new SourceFile(relative(process.cwd(), path) || path, text);
  const doc = parseDocument(text, { lineCounter: new LineCounter(), prettyErrors: false, uniqueKeys: true });
  for (const e of doc.errors) problems.push(yamlDiagnostic(id, { reason: e.message.split('\n')[0]! }, file, e.pos, help));
  return { file, doc: doc.errors.length > 0 ? undefined : doc };
}
