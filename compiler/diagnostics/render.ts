import type { Diagnostic } from './diagnostic.ts';

export type DiagnosticFormat = 'human' | 'json' | 'github';

export interface JsonDiagnostic {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  endLine: number | null;
  endColumn: number | null;
  help?: string;
}

/** 1-based positions; end is exclusive in offsets, so the end column points just past the span. */
export function toJson(d: Diagnostic): JsonDiagnostic {
  const start = d.span ? d.span.file.position(d.span.start) : undefined;
  const end = d.span ? d.span.file.position(d.span.end) : undefined;
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.span?.file.path ?? null,
    line: start?.line ?? null,
    column: start?.column ?? null,
    endLine: end?.line ?? null,
    endColumn: end?.column ?? null,
    ...(d.help ? { help: d.help } : {}),
  };
}

const TAB = '    ';

interface Style {
  error: (s: string) => string;
  warning: (s: string) => string;
  accent: (s: string) => string;
  bold: (s: string) => string;
}

const plain: Style = { error: (s) => s, warning: (s) => s, accent: (s) => s, bold: (s) => s };
const ansi: Style = {
  error: (s) => `\x1b[1;31m${s}\x1b[0m`,
  warning: (s) => `\x1b[1;33m${s}\x1b[0m`,
  accent: (s) => `\x1b[1;34m${s}\x1b[0m`,
  bold: (s) => `\x1b[1m${s}\x1b[0m`,
};

/** rustc-style: header, location arrow, code frame with carets, then help and notes. */
export function renderHuman(d: Diagnostic, color = false): string {
  const st = color ? ansi : plain;
  const sev = d.severity === 'error' ? st.error : st.warning;
  const out: string[] = [`${sev(`${d.severity}[${d.code}]`)}${st.bold(`: ${d.message}`)}`];
  if (d.span) {
    const { file } = d.span;
    const start = file.position(d.span.start);
    const end = file.position(d.span.end);
    const gutter = String(start.line).length;
    const pad = ' '.repeat(gutter);
    out.push(`${pad}${st.accent('-->')} ${file.path}:${start.line}:${start.column}`);
    out.push(`${pad} ${st.accent('|')}`);
    const raw = file.lineText(start.line);
    const shown = raw.replace(/\t/g, TAB);
    // Column math in displayed characters: tabs widen, so measure the prefix after expansion.
    const before = raw.slice(0, start.column - 1).replace(/\t/g, TAB).length;
    const lastCol = end.line === start.line ? end.column : raw.length + 1;
    const underlineEnd = raw.slice(0, Math.max(start.column - 1, lastCol - 1)).replace(/\t/g, TAB).length;
    const width = Math.max(1, underlineEnd - before);
    out.push(`${st.accent(`${String(start.line).padStart(gutter)} |`)} ${shown}`);
    out.push(`${pad} ${st.accent('|')} ${' '.repeat(before)}${sev('^'.repeat(width))}`);
  }
  for (const note of d.notes ?? []) {
    const where = note.span
      ? ` (${note.span.file.path}:${note.span.file.position(note.span.start).line}:${note.span.file.position(note.span.start).column})`
      : '';
    out.push(`${st.bold('note')}: ${note.message}${where}`);
  }
  if (d.help) out.push(`${st.bold('help')}: ${d.help}`);
  return out.join('\n');
}

/** GitHub Actions workflow commands; data and properties escaped as the runner expects. */
export function renderGithub(d: Diagnostic): string {
  const escData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const escProp = (s: string) => escData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const j = toJson(d);
  const props: string[] = [];
  if (j.file !== null) {
    props.push(`file=${escProp(j.file)}`, `line=${j.line}`, `col=${j.column}`, `endLine=${j.endLine}`, `endColumn=${j.endColumn}`);
  }
  props.push(`title=${escProp(d.code)}`);
  const body = d.help ? `${d.message}\nhelp: ${d.help}` : d.message;
  return `::${d.severity} ${props.join(',')}::${escData(body)}`;
}

export function renderAll(list: readonly Diagnostic[], format: DiagnosticFormat, color = false): string {
  if (format === 'json') return JSON.stringify(list.map(toJson), null, 2) + '\n';
  if (format === 'github') return list.map(renderGithub).join('\n') + (list.length ? '\n' : '');
  return list.map((d) => renderHuman(d, color) + '\n').join('\n');
}

export function summaryLine(list: readonly Diagnostic[]): string {
  const errors = list.filter((d) => d.severity === 'error').length;
  const warnings = list.length - errors;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}
