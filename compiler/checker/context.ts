import type { QualifiedName } from '../ast/nodes.ts';
import type { Binder, DeclSymbol } from '../binder/binder.ts';
import type { LoadedFile } from '../binder/load.ts';
import type { DiagnosticBag } from '../diagnostics/diagnostic.ts';
import type { IrSource } from '../ir/ir.ts';
import type { Span } from '../source.ts';
import { Suggester } from './suggest.ts';

/** What every checker module needs: the symbols, a place to report, and name lookup with good errors. */
export class CheckContext {
  /** "Did you mean" over names from the input: bounded work per compilation. */
  readonly suggester = new Suggester();

  constructor(
    readonly binder: Binder,
    readonly diagnostics: DiagnosticBag,
  ) {}

  source(span: Span): IrSource {
    const { line, column } = span.file.position(span.start);
    return { file: span.file.path, line, column };
  }

  /**
   * Resolves a reference to a declaration of one of `kinds`; reports unknown, ambiguous or wrong-kind
   * names. Returns undefined after reporting.
   */
  lookupDecl(file: LoadedFile, name: QualifiedName, kinds: readonly DeclSymbol['decl']['kind'][], what: string): DeclSymbol | { scalar: string } | undefined {
    const r = this.binder.resolve(file, name);
    if (r.kind === 'scalar') return { scalar: r.scalar };
    if (r.kind === 'decl') {
      if (kinds.includes(r.symbol.decl.kind)) return r.symbol;
      this.diagnostics.add(
        'wrongKind',
        { name: name.text, actual: `${article(r.symbol.decl.kind)} ${r.symbol.decl.kind === 'errors' ? 'error set' : r.symbol.decl.kind}`, expected: what },
        name.span,
        {
          help:
            what === 'a type'
              ? "field types are scalars, structs, enums and unions; an error set belongs in a topic's `errors:` property"
              : 'error sets are declared with `errors Name { CODE = 1; }`',
        },
      );
      return undefined;
    }
    if (r.kind === 'ambiguous') {
      this.diagnostics.add('ambiguousName', { name: name.text, candidates: r.candidates.join(' and ') }, name.span, {
        help: 'qualify the name with the full package name',
      });
      return undefined;
    }
    // A file whose import failed has already been told; its unresolved names would only echo that.
    if (file.imports.some((i) => i.target === undefined)) return undefined;
    const short = name.parts[name.parts.length - 1]!.text;
    const elsewhere = this.binder.findAnywhere(short);
    let help = this.suggester.didYouMean(name.text, r.candidates);
    if (!help && elsewhere.length > 0) {
      const sym = elsewhere[0]!;
      help = `'${short}' is declared in ${sym.file.parsed.ast.file.path} (package ${sym.package || '(none)'}); import that file and write '${(sym.package.split('.').pop() ?? '') + '.' + short}'`;
    }
    help ??= 'declare it, or import the file that declares it';
    if (what === 'a type') this.diagnostics.add('unknownType', { name: name.text }, name.span, { help });
    else this.diagnostics.add('unknownName', { what: what.replace(/^an? /, ''), name: name.text }, name.span, { help });
    return undefined;
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
