/**
 * State of one generated module (`types/<package>.ts`) while it is written: which runtime helpers,
 * sibling modules and schemas it imports, its module-level RegExp constants, and how it names the
 * functions of a declared type (local `$e_N` functions, or `N.$encode` members for types of other
 * packages).
 */
import type { IrEnum, IrProgram, IrType, IrTypeDecl, ScalarName } from '../../ir/ir.ts';
import { importPath, runtimeSpecifier, schemasModule, typesModule } from '../shared/names.ts';
import { importDeclaration, lit, named, stmt, withBlankLineAfter, type Syntax } from '../shared/ts/index.ts';

export const INT_RANGES: Readonly<Partial<Record<ScalarName, readonly [bigint, bigint]>>> = {
  u8: [0n, 255n],
  u16: [0n, 65535n],
  u32: [0n, 4294967295n],
  u64: [0n, 18446744073709551615n],
  i8: [-128n, 127n],
  i16: [-32768n, 32767n],
  i32: [-2147483648n, 2147483647n],
  i64: [-9223372036854775808n, 9223372036854775807n],
};

/** The parts of a declared type's code: encode, decode, toJSON, fromJSON, validate, enum number/member. */
export type FnKind = 'encode' | 'decode' | 'toJSON' | 'fromJSON' | 'validate' | 'number' | 'member';

const LOCAL_PREFIX: Readonly<Record<FnKind, string>> = {
  encode: '$e_',
  decode: '$d_',
  toJSON: '$t_',
  fromJSON: '$f_',
  validate: '$v_',
  number: '$n_',
  member: '$m_',
};
const MEMBER: Readonly<Record<FnKind, string>> = {
  encode: '$encode',
  decode: '$decode',
  toJSON: 'toJSON',
  fromJSON: '$fromJSON',
  validate: '$validate',
  number: '$number',
  member: '$member',
};

export class ModuleContext {
  readonly module: string;
  private readonly runtime = new Set<string>();
  private readonly runtimeTypes = new Set<string>();
  private readonly siblings = new Map<string, Set<string>>();
  private readonly schemas = new Set<string>();
  private readonly regexes = new Map<string, string>();
  readonly decls: ReadonlyMap<string, IrTypeDecl>;

  constructor(
    readonly ir: IrProgram,
    readonly pkg: string,
    readonly names: ReadonlyMap<string, string>,
    private readonly runtimeImport: string,
  ) {
    this.module = typesModule(pkg);
    this.decls = new Map(ir.types.map((t) => [t.name, t]));
  }

  /** A runtime value (class or function), imported as `$name`. */
  rt(name: string): string {
    this.runtime.add(name);
    return `$${name}`;
  }

  /** A runtime type, imported as `$Name`. */
  rtType(name: string): string {
    this.runtimeTypes.add(name);
    return `$${name}`;
  }

  decl(name: string): IrTypeDecl {
    const d = this.decls.get(name);
    if (!d) throw new Error(`ts emitter: unknown type ${name}`);
    return d;
  }

  enumDecl(name: string): IrEnum {
    const d = this.decl(name);
    if (d.kind !== 'enum') throw new Error(`ts emitter: ${name} is not an enum`);
    return d;
  }

  /** The TS name of a declared type, imported from its package's module when it is not this one. */
  ref(typeName: string): string {
    const decl = this.decl(typeName);
    const name = this.names.get(typeName) ?? decl.shortName;
    if (decl.package !== this.pkg) {
      const mod = typesModule(decl.package);
      let set = this.siblings.get(mod);
      if (!set) this.siblings.set(mod, (set = new Set()));
      set.add(name);
    }
    return name;
  }

  /** The function doing `kind` for a declared type: local, or a member of another package's codec. */
  fn(kind: FnKind, typeName: string): string {
    const name = this.ref(typeName);
    return this.decl(typeName).package === this.pkg ? `${LOCAL_PREFIX[kind]}${name}` : `${name}.${MEMBER[kind]}`;
  }

  /** Name of the local function doing `kind` for a type of this package. */
  local(kind: FnKind, typeName: string): string {
    return `${LOCAL_PREFIX[kind]}${this.ref(typeName)}`;
  }

  /** `<N>Schema` from schemas/<package>.ts. */
  schema(typeName: string): string {
    const name = `${this.ref(typeName)}Schema`;
    this.schemas.add(name);
    return name;
  }

  /** A module-level RegExp (u flag) for a pattern, shared by every use in the module. */
  regex(pattern: string): string {
    let name = this.regexes.get(pattern);
    if (!name) this.regexes.set(pattern, (name = `$re${this.regexes.size}`));
    return name;
  }

  /** Imports and module-level constants, once everything else has been written. */
  header(): Syntax.Statement[] {
    const out: Syntax.Statement[] = [];
    const specs: Syntax.ModuleSpecifier[] = [
      ...[...this.runtime].map((n) => ({ imported: n, local: `$${n}`, typeOnly: false })),
      ...[...this.runtimeTypes].filter((n) => !this.runtime.has(n)).map((n) => ({ imported: n, local: `$${n}`, typeOnly: true })),
    ].sort((a, b) => (a.imported.toLowerCase() < b.imported.toLowerCase() ? -1 : a.imported.toLowerCase() > b.imported.toLowerCase() ? 1 : 0));
    if (specs.length > 0) out.push(importDeclaration(specs, runtimeSpecifier(this.runtimeImport, this.module)));
    for (const mod of [...this.siblings.keys()].sort())
      out.push(importDeclaration(named(...[...this.siblings.get(mod)!].sort()), importPath(this.module, mod, '.ts')));
    if (this.schemas.size > 0) out.push(importDeclaration(named(...[...this.schemas].sort()), importPath(this.module, schemasModule(this.pkg), '.ts')));
    if (this.regexes.size > 0) {
      if (out.length > 0) out.push(withBlankLineAfter(out.pop()!));
      for (const [pattern, name] of this.regexes) out.push(stmt`const ${name} = new RegExp(${lit(pattern)}, 'u');`);
    }
    return out;
  }
}

/** Scalars and enums, whose arrays are packed into one length-delimited run. */
export function isPackable(t: IrType): boolean {
  if (t.kind === 'named') return t.declKind === 'enum';
  if (t.kind !== 'scalar') return false;
  return !['string', 'bytes', 'uuid', 'json'].includes(t.scalar);
}

export function isCollection(t: IrType): t is Extract<IrType, { kind: 'array' | 'map' }> {
  return t.kind === 'array' || t.kind === 'map';
}

/** Wire type of a (non-collection) value: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
export function wireType(t: IrType): 0 | 1 | 2 | 5 {
  if (t.kind === 'named') return t.declKind === 'enum' ? 0 : 2;
  if (t.kind !== 'scalar') return 2;
  switch (t.scalar) {
    case 'f32':
      return 5;
    case 'f64':
      return 1;
    case 'string':
    case 'bytes':
    case 'uuid':
    case 'json':
      return 2;
    default:
      return 0;
  }
}

/** The precomputed tag of field `n` with wire type `wt` (field numbers go up to 2^29 - 1). */
export function tagOf(n: number, wt: number): number {
  return n * 8 + wt;
}

/** Counter-based fresh local names inside one generated function. */
export class Names {
  private n = 0;
  fresh(base: string): string {
    return `${base}${++this.n}`;
  }
}
