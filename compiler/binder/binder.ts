import type { CapabilityDecl, Decl, ErrorsDecl, QualifiedName, TypeDecl } from '../ast/nodes.ts';
import type { DiagnosticBag } from '../diagnostics/diagnostic.ts';
import { SCALARS, type ScalarName } from '../ir/ir.ts';
import type { LoadedFile, LoadedImport, LoadResult } from './load.ts';

/** A named declaration that types and properties can refer to. */
export interface DeclSymbol {
  readonly decl: TypeDecl | ErrorsDecl;
  readonly file: LoadedFile;
  readonly package: string;
  readonly fqName: string;
}

export interface CapabilitySymbol {
  readonly decl: CapabilityDecl;
  readonly file: LoadedFile;
}

export interface PackageInfo {
  readonly name: string;
  readonly files: LoadedFile[];
}

export type Resolution =
  | { readonly kind: 'scalar'; readonly scalar: ScalarName }
  | { readonly kind: 'decl'; readonly symbol: DeclSymbol }
  | { readonly kind: 'ambiguous'; readonly candidates: readonly string[] }
  | { readonly kind: 'missing'; readonly candidates: readonly string[] };

const scalarSet: ReadonlySet<string> = new Set(SCALARS);

/**
 * Symbols of the whole program and the lookup rules of one file: its own declarations, then those of
 * the files it imports directly (unqualified within the same package; otherwise qualified by the full
 * package name or its last segment). Imports are not transitive, as in protobuf.
 */
export class Binder {
  readonly packages = new Map<string, PackageInfo>();
  private readonly fileDecls = new Map<string, Map<string, DeclSymbol>>();
  private readonly fileCaps = new Map<string, Map<string, CapabilitySymbol>>();
  readonly usedImports = new Set<LoadedImport>();

  constructor(
    readonly loaded: LoadResult,
    private readonly diagnostics: DiagnosticBag,
  ) {
    const pkgDecls = new Map<string, Map<string, DeclSymbol>>();
    const allCaps = new Map<string, CapabilitySymbol>();
    for (const file of loaded.files) {
      const pkg = packageOf(file);
      const info = this.packages.get(pkg) ?? { name: pkg, files: [] };
      info.files.push(file);
      this.packages.set(pkg, info);
      const own = new Map<string, DeclSymbol>();
      const caps = new Map<string, CapabilitySymbol>();
      const seen = pkgDecls.get(pkg) ?? new Map<string, DeclSymbol>();
      pkgDecls.set(pkg, seen);
      for (const decl of file.parsed.ast.decls) {
        if (decl.kind === 'capability') {
          const prior = allCaps.get(decl.name.text);
          if (prior) this.duplicate(decl.name.text, decl.name.span, prior.decl.name.span);
          else {
            const sym = { decl, file };
            allCaps.set(decl.name.text, sym);
            caps.set(decl.name.text, sym);
          }
          continue;
        }
        if (decl.kind === 'topic' || decl.kind === 'intent') continue;
        const prior = seen.get(decl.name.text);
        if (prior) {
          this.duplicate(decl.name.text, decl.name.span, prior.decl.name.span);
          continue;
        }
        if (scalarSet.has(decl.name.text)) {
          diagnostics.add('duplicateName', { name: decl.name.text }, decl.name.span, {
            help: `'${decl.name.text}' is a built-in scalar type; choose another name`,
          });
          continue;
        }
        const sym: DeclSymbol = { decl, file, package: pkg, fqName: pkg ? `${pkg}.${decl.name.text}` : decl.name.text };
        seen.set(decl.name.text, sym);
        own.set(decl.name.text, sym);
      }
      this.fileDecls.set(file.absPath, own);
      this.fileCaps.set(file.absPath, caps);
    }
  }

  get capabilities(): CapabilitySymbol[] {
    return [...this.fileCaps.values()].flatMap((m) => [...m.values()]);
  }

  private duplicate(name: string, where: QualifiedName['span'], prior: QualifiedName['span']): void {
    this.diagnostics.add('duplicateName', { name }, where, {
      notes: [{ message: 'first declared here', span: prior }],
      help: 'rename one of the two declarations',
    });
  }

  /** Resolves a type or error-set reference as seen from `file`. */
  resolve(file: LoadedFile, name: QualifiedName): Resolution {
    const text = name.text;
    if (name.parts.length === 1 && scalarSet.has(text)) return { kind: 'scalar', scalar: text as ScalarName };
    const pkg = packageOf(file);
    const own = this.fileDecls.get(file.absPath)!;
    if (name.parts.length === 1) {
      const hit = own.get(text);
      if (hit) return { kind: 'decl', symbol: hit };
      for (const imp of file.imports) {
        const target = this.importedFile(imp);
        if (!target || packageOf(target) !== pkg) continue;
        const sym = this.fileDecls.get(target.absPath)!.get(text);
        if (sym) {
          this.usedImports.add(imp);
          return { kind: 'decl', symbol: sym };
        }
      }
      return { kind: 'missing', candidates: this.visibleNames(file) };
    }
    const qualifier = name.parts
      .slice(0, -1)
      .map((p) => p.text)
      .join('.');
    const short = name.parts[name.parts.length - 1]!.text;
    const matches = new Map<string, { sym: DeclSymbol; imp?: LoadedImport }>();
    if (qualifier === pkg || (pkg.endsWith(`.${qualifier}`) && !qualifier.includes('.'))) {
      const hit = own.get(short);
      if (hit) matches.set(hit.fqName, { sym: hit });
    }
    for (const imp of file.imports) {
      const target = this.importedFile(imp);
      if (!target) continue;
      const tpkg = packageOf(target);
      if (tpkg !== qualifier && !(tpkg.split('.').pop() === qualifier && !qualifier.includes('.'))) continue;
      const sym = this.fileDecls.get(target.absPath)!.get(short);
      if (sym && !matches.has(sym.fqName)) matches.set(sym.fqName, { sym, imp });
    }
    if (matches.size === 1) {
      const [{ sym, imp }] = [...matches.values()] as [{ sym: DeclSymbol; imp?: LoadedImport }];
      if (imp) this.usedImports.add(imp);
      return { kind: 'decl', symbol: sym };
    }
    if (matches.size > 1) {
      for (const { imp } of matches.values()) if (imp) this.usedImports.add(imp);
      return { kind: 'ambiguous', candidates: [...matches.keys()].sort() };
    }
    return { kind: 'missing', candidates: this.visibleNames(file) };
  }

  /** Capabilities visible from `file`: its own and those of the files it imports. */
  resolveCapability(file: LoadedFile, name: string): { symbol?: CapabilitySymbol; candidates: string[] } {
    const own = this.fileCaps.get(file.absPath)!.get(name);
    if (own) return { symbol: own, candidates: [] };
    for (const imp of file.imports) {
      const target = this.importedFile(imp);
      const sym = target && this.fileCaps.get(target.absPath)!.get(name);
      if (sym) {
        this.usedImports.add(imp);
        return { symbol: sym, candidates: [] };
      }
    }
    let candidates = this.capabilityCandidates.get(file.absPath);
    if (!candidates) {
      candidates = [file, ...file.imports.map((i) => this.importedFile(i)).filter((f): f is LoadedFile => !!f)].flatMap((f) => [
        ...this.fileCaps.get(f.absPath)!.keys(),
      ]);
      this.capabilityCandidates.set(file.absPath, candidates);
    }
    return { candidates };
  }

  /** Capabilities visible from a file (cached: a list per unknown capability made many of them quadratic). */
  private readonly capabilityCandidates = new Map<string, string[]>();

  /** The file a capability is declared in, when it exists but is not visible (for a better hint). */
  capabilityDeclaredElsewhere(name: string): LoadedFile | undefined {
    if (!this.firstCapabilityByName) {
      this.firstCapabilityByName = new Map();
      for (const c of this.capabilities) if (!this.firstCapabilityByName.has(c.decl.name.text)) this.firstCapabilityByName.set(c.decl.name.text, c.file);
    }
    return this.firstCapabilityByName.get(name);
  }

  private firstCapabilityByName: Map<string, LoadedFile> | undefined;

  /** Declared types visible elsewhere in the program (for "did you forget an import?"). */
  findAnywhere(short: string): DeclSymbol[] {
    return [...this.fileDecls.values()].flatMap((m) => {
      const s = m.get(short);
      return s ? [s] : [];
    });
  }

  private importedFile(imp: LoadedImport): LoadedFile | undefined {
    return imp.target ? this.loaded.byPath.get(imp.target) : undefined;
  }

  private readonly visibleCache = new Map<string, string[]>();

  /** Names a file can use, sorted and unique (cached: "did you mean" asks once per unknown name). */
  private visibleNames(file: LoadedFile): string[] {
    const cached = this.visibleCache.get(file.absPath);
    if (cached) return cached;
    const names = this.computeVisibleNames(file);
    this.visibleCache.set(file.absPath, names);
    return names;
  }

  private computeVisibleNames(file: LoadedFile): string[] {
    const pkg = packageOf(file);
    const names: string[] = [...SCALARS, ...this.fileDecls.get(file.absPath)!.keys()];
    for (const imp of file.imports) {
      const target = this.importedFile(imp);
      if (!target) continue;
      const tpkg = packageOf(target);
      const short = tpkg.split('.').pop() ?? tpkg;
      for (const n of this.fileDecls.get(target.absPath)!.keys()) names.push(tpkg === pkg ? n : `${short}.${n}`);
    }
    return [...new Set(names)].sort();
  }
}

export function packageOf(file: LoadedFile): string {
  return file.parsed.ast.headers.find((h) => h.kind === 'package')?.value ?? '';
}

export type { Decl };
