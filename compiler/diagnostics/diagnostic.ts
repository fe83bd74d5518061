import type { Span } from '../source.ts';
import { catalog, type DiagnosticId, type Severity } from './catalog.ts';

export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  /** Where; absent only for problems with no source position (e.g. nothing to compile). */
  readonly span?: Span;
  /** A concrete way forward, printed as `help: …`. */
  readonly help?: string;
  /** Secondary facts, printed as `note: …`, each with an optional span. */
  readonly notes?: readonly { readonly message: string; readonly span?: Span }[];
}

export type DiagnosticArgs = Readonly<Record<string, string | number>>;

function fill(template: string, args: DiagnosticArgs): string {
  return template.replace(/\{(\{?)(\w+)\}(\}?)/g, (whole, open: string, key: string, close: string) => {
    const value = args[key];
    if (value === undefined) return whole;
    return `${open}${String(value)}${close}`;
  });
}

export function createDiagnostic(
  id: DiagnosticId,
  args: DiagnosticArgs,
  span: Span | undefined,
  extra: { help?: string; notes?: Diagnostic['notes'] } = {},
): Diagnostic {
  const entry = catalog[id];
  return {
    code: entry.code,
    severity: entry.severity,
    message: fill(entry.message, args),
    ...(span ? { span } : {}),
    ...(extra.help ? { help: extra.help } : {}),
    ...(extra.notes && extra.notes.length > 0 ? { notes: extra.notes } : {}),
  };
}

/** Collects diagnostics for one stage; stages never throw for bad input, they report here. */
export class DiagnosticBag {
  private readonly items: Diagnostic[] = [];

  add(id: DiagnosticId, args: DiagnosticArgs, span: Span | undefined, extra?: { help?: string; notes?: Diagnostic['notes'] }): void {
    this.items.push(createDiagnostic(id, args, span, extra));
  }

  push(d: Diagnostic): void {
    this.items.push(d);
  }

  get all(): readonly Diagnostic[] {
    return this.items;
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

/** Sorted by file, then position, then code, so output is stable whatever order stages ran in. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => {
    const fa = a.span?.file.path ?? '';
    const fb = b.span?.file.path ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    const sa = a.span?.start ?? -1;
    const sb = b.span?.start ?? -1;
    if (sa !== sb) return sa - sb;
    return a.code.localeCompare(b.code);
  });
}
