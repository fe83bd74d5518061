import type { CstNode, IToken } from 'chevrotain';
import type { DiagnosticBag } from '../diagnostics/diagnostic.ts';
import { span, type SourceFile, type Span } from '../source.ts';
import type * as A from './nodes.ts';

type Children = Record<string, (CstNode | IToken)[] | undefined>;

const isToken = (x: CstNode | IToken): x is IToken => 'image' in x;
const real = (t: IToken | undefined): t is IToken => t !== undefined && !t.isInsertedInRecovery && Number.isFinite(t.startOffset);

/** Converts Chevrotain's CST of one file into the typed AST, attaching doc comments on the way. */
export function buildAst(file: SourceFile, cst: CstNode, comments: readonly IToken[], errorOffsets: readonly number[], diagnostics: DiagnosticBag): A.FileAst {
  return new AstBuilder(
    file,
    comments,
    [...errorOffsets].sort((a, b) => a - b),
    diagnostics,
  ).file(cst);
}

class AstBuilder {
  private readonly docs: IToken[];
  private readonly usedDocs = new Set<IToken>();

  constructor(
    private readonly src: SourceFile,
    comments: readonly IToken[],
    /** Sorted offsets of the tokens at which the parser reported errors. */
    private readonly errorOffsets: readonly number[],
    private readonly diagnostics: DiagnosticBag,
  ) {
    this.docs = comments.filter((c) => c.tokenType.name === 'DocComment');
  }

  file(cst: CstNode): A.FileAst {
    const headers: A.HeaderDecl[] = [];
    const decls: A.Decl[] = [];
    let firstDeclPosition = Infinity;
    this.nodes(cst, 'topLevel').forEach((top, position) => {
      const [inner] = this.allNodes(top);
      if (!inner) return;
      switch (inner.name) {
        case 'packageDecl': {
          const name = this.qualified(this.node(inner, 'qualifiedName'));
          headers.push({ kind: 'package', value: name?.text, valueSpan: name?.span, span: this.spanOf(inner), position, doc: this.docFor(inner) });
          break;
        }
        case 'versionDecl':
        case 'importDecl': {
          const str = this.token(inner, 'StringLiteral');
          const value = str ? this.stringValue(str) : undefined;
          headers.push({
            kind: inner.name === 'versionDecl' ? 'version' : 'import',
            value,
            valueSpan: str ? this.tokenSpan(str) : undefined,
            span: this.spanOf(inner),
            position,
            doc: undefined,
          });
          break;
        }
        default: {
          const decl = this.decl(inner);
          if (decl) {
            decls.push(decl);
            firstDeclPosition = Math.min(firstDeclPosition, position);
          }
        }
      }
    });
    for (const doc of this.docs) {
      if (!this.usedDocs.has(doc)) {
        this.diagnostics.add('danglingDocComment', {}, this.tokenSpan(doc), { help: 'use // for a plain comment, or move it directly above a declaration' });
      }
    }
    return { file: this.src, headers, decls, firstDeclPosition };
  }

  private decl(node: CstNode): A.Decl | undefined {
    const base = { doc: this.docFor(node), span: this.spanOf(node), recovered: this.isRecovered(node) };
    switch (node.name) {
      case 'capabilityDecl': {
        const name = this.qualified(this.node(node, 'qualifiedName'));
        if (!name) return undefined;
        return { kind: 'capability', ...base, name, bit: this.integer(this.node(node, 'integer')) };
      }
      case 'structDecl':
      case 'unionDecl': {
        const name = this.ident(this.token(node, 'Name'));
        if (!name) return undefined;
        const fields: A.FieldDecl[] = [];
        const reserved: A.ReservedDecl[] = [];
        for (const member of this.nodes(node, 'member')) {
          const field = this.node(member, 'field');
          const res = this.node(member, 'reservedDecl');
          if (field) {
            const f = this.field(field);
            if (f) fields.push(f);
          } else if (res) {
            reserved.push({
              kind: 'reserved',
              numbers: this.nodes(res, 'integer')
                .map((n) => this.integer(n))
                .filter((x): x is A.Literal => !!x),
              span: this.spanOf(res),
            });
          }
        }
        return node.name === 'structDecl' ? { kind: 'struct', ...base, name, fields, reserved } : { kind: 'union', ...base, name, arms: fields, reserved };
      }
      case 'enumDecl':
      case 'errorsDecl': {
        const name = this.ident(this.token(node, 'Name'));
        if (!name) return undefined;
        const memberRule = node.name === 'enumDecl' ? 'enumMember' : 'errorMember';
        const members = this.nodes(node, memberRule).flatMap((m) => {
          const mName = this.ident(this.token(m, 'Name'));
          if (!mName) return [];
          const msg = this.token(m, 'StringLiteral');
          return [
            {
              name: mName,
              value: this.integer(this.node(m, 'integer')),
              doc: this.docFor(m),
              span: this.spanOf(m),
              message: msg ? this.stringValue(msg) : undefined,
            },
          ];
        });
        return node.name === 'enumDecl' ? { kind: 'enum', ...base, name, members } : { kind: 'errors', ...base, name, members };
      }
      case 'topicDecl': {
        const addrTok = this.token(node, 'Address');
        const qn = this.qualified(this.node(node, 'qualifiedName'));
        const address = addrTok ? { text: addrTok.image, span: this.tokenSpan(addrTok) } : qn ? { text: qn.text, span: qn.span } : undefined;
        return { kind: 'topic', ...base, address, properties: this.properties(this.node(node, 'propertyBlock')) };
      }
      case 'intentDecl':
        return {
          kind: 'intent',
          ...base,
          name: this.qualified(this.node(node, 'qualifiedName')),
          properties: this.properties(this.node(node, 'propertyBlock')),
        };
      default:
        return undefined;
    }
  }

  private field(node: CstNode): A.FieldDecl | undefined {
    const name = this.ident(this.token(node, 'Name'));
    if (!name) return undefined;
    return {
      kind: 'field',
      name,
      optionalMark: this.token(node, 'Question') !== undefined,
      type: this.typeExpr(this.node(node, 'typeExpr')),
      number: this.integer(this.node(node, 'integer')),
      constraints: this.nodes(this.node(node, 'constraints'), 'constraint').flatMap((c) => {
        const cName = this.ident(this.token(c, 'Name'));
        return cName ? [{ name: cName, value: this.literal(this.node(c, 'literal')), span: this.spanOf(c) }] : [];
      }),
      defaultValue: this.literal(this.node(node, 'literal')),
      doc: this.docFor(node),
      span: this.spanOf(node),
    };
  }

  private properties(block: CstNode | undefined): A.Property[] {
    return this.nodes(block, 'property').flatMap((p) => {
      const name = this.ident(this.token(p, 'Name'));
      if (!name) return [];
      const inner = this.node(p, 'propertyBlock');
      const values = inner ? undefined : this.nodes(p, 'valueGroup').map((g) => this.valueGroup(g));
      // Properties carry no documentation of their own; a `///` above one is reported as dangling.
      return [{ name, values, block: inner ? this.properties(inner) : undefined, doc: undefined, span: this.spanOf(p) }];
    });
  }

  private valueGroup(node: CstNode): A.ValueItem[] {
    const items: A.ValueItem[] = [];
    for (const child of this.ordered(node)) {
      if (isToken(child)) continue;
      if (child.name === 'scalarLiteral') {
        const tok = this.onlyToken(child);
        const lit = tok ? this.tokenLiteral(tok) : undefined;
        if (lit) items.push(lit);
      } else if (child.name === 'typeExpr') {
        const type = this.typeExpr(child);
        if (type) items.push({ kind: 'type', type, span: type.span });
      }
    }
    return items;
  }

  private typeExpr(node: CstNode | undefined): A.TypeExpr | undefined {
    if (!node) return undefined;
    let base: A.TypeExpr | undefined;
    const map = this.node(node, 'mapType');
    if (map) {
      const [k, v] = this.nodes(map, 'typeExpr');
      const key = this.typeExpr(k);
      const value = this.typeExpr(v);
      if (!key || !value) return undefined;
      base = { kind: 'map', key, value, span: this.spanOf(map) };
    } else {
      const name = this.qualified(this.node(node, 'qualifiedName'));
      if (!name) return undefined;
      base = { kind: 'named', name, span: name.span };
    }
    const start = base.span.start;
    const suffixes = [...this.tokens(node, 'RSquare'), ...this.tokens(node, 'Question')].filter(real).sort((a, b) => a.startOffset - b.startOffset);
    for (const tok of suffixes) {
      const s = span(this.src, start, tok.endOffset! + 1);
      base = tok.tokenType.name === 'Question' ? { kind: 'optional', inner: base, span: s } : { kind: 'array', element: base, span: s };
    }
    return base;
  }

  private literal(node: CstNode | undefined): A.Literal | undefined {
    if (!node) return undefined;
    const qn = this.node(node, 'qualifiedName');
    if (qn) {
      const name = this.qualified(qn);
      return name ? { kind: 'name', name, span: name.span } : undefined;
    }
    const list = this.node(node, 'listLiteral');
    if (list) {
      const items = this.nodes(list, 'literal')
        .map((n) => this.literal(n))
        .filter((x): x is A.Literal => !!x);
      return { kind: 'list', items, span: this.spanOf(list) };
    }
    const scalar = this.node(node, 'scalarLiteral');
    const tok = scalar ? this.onlyToken(scalar) : undefined;
    return tok ? this.tokenLiteral(tok) : undefined;
  }

  /** A literal in a whole-number position (field numbers, bits, enum values, error codes). */
  private integer(node: CstNode | undefined): A.Literal | undefined {
    if (!node) return undefined;
    const tok = this.onlyToken(node);
    const lit = tok ? this.tokenLiteral(tok) : undefined;
    if (lit?.kind === 'number' && lit.integer === null) {
      this.diagnostics.add('invalidNumber', { text: lit.text, reason: 'a whole number is required here' }, lit.span, {
        help: `write ${Math.trunc(lit.value)} or ${Math.trunc(lit.value) + 1}`,
      });
      return undefined;
    }
    return lit;
  }

  /** The single token of a one-token rule (literal, integer), without sorting children. */
  private onlyToken(node: CstNode): IToken | undefined {
    for (const key in node.children) {
      const first = (node.children as Children)[key]?.[0];
      if (first && isToken(first)) return first;
    }
    return undefined;
  }

  private tokenLiteral(tok: IToken): A.Literal | undefined {
    if (!real(tok)) return undefined;
    const s = this.tokenSpan(tok);
    switch (tok.tokenType.name) {
      case 'StringLiteral':
      case 'SingleQuotedString':
      case 'UnterminatedString':
        return { kind: 'string', value: this.stringValue(tok), span: s };
      case 'True':
      case 'False':
        return { kind: 'bool', value: tok.tokenType.name === 'True', span: s };
      case 'Quantity': {
        const m = /^(\d+(?:\.\d+)?)([A-Za-z]+)$/.exec(tok.image);
        return { kind: 'quantity', text: tok.image, amount: Number(m?.[1] ?? Number.NaN), unit: m?.[2] ?? '', span: s };
      }
      case 'HexNumber': {
        const digits = tok.image.slice(2).replace(/_/g, '');
        if (digits.length === 0) {
          this.diagnostics.add('invalidNumber', { text: tok.image, reason: 'no digits after 0x' }, s, { help: 'write hex digits after 0x, e.g. 0x1F' });
          return undefined;
        }
        const integer = BigInt(`0x${digits}`);
        return { kind: 'number', text: tok.image, value: Number(integer), integer, span: s };
      }
      case 'NumberLiteral':
      case 'ExpNumber': {
        const value = Number(tok.image);
        const integer = /^-?\d+$/.test(tok.image) ? BigInt(tok.image) : null;
        if (!Number.isFinite(value)) {
          this.diagnostics.add('invalidNumber', { text: tok.image, reason: 'too large for a 64-bit float' }, s, {
            help: 'numbers must fit a 64-bit float (about 1.8e308); integers are exact up to 64 bits',
          });
          return undefined;
        }
        return { kind: 'number', text: tok.image, value, integer, span: s };
      }
      default:
        return undefined;
    }
  }

  private stringValue(tok: IToken): string {
    const closed = tok.image.length >= 2 && tok.image.endsWith(tok.image[0]!) && tok.tokenType.name !== 'UnterminatedString';
    const body = tok.image.slice(1, closed ? -1 : undefined);
    return body.replace(/\\(u\{[0-9A-Fa-f]{1,6}\}|.)/g, (whole, esc: string, index: number) => {
      switch (esc) {
        case '"':
          return '"';
        case '\\':
          return '\\';
        case 'n':
          return '\n';
        case 't':
          return '\t';
        case 'r':
          return '\r';
        case '0':
          return '\0';
      }
      if (esc.startsWith('u{')) {
        const cp = parseInt(esc.slice(2, -1), 16);
        if (cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) return String.fromCodePoint(cp);
      }
      const at = tok.startOffset + 1 + index;
      this.diagnostics.add('invalidEscape', { escape: whole }, span(this.src, at, at + whole.length), {
        help: 'valid escapes: \\" \\\\ \\n \\t \\r \\0 \\u{1F600}',
      });
      return whole;
    });
  }

  private qualified(node: CstNode | undefined): A.QualifiedName | undefined {
    if (!node) return undefined;
    const parts = this.tokens(node, 'Name')
      .filter(real)
      .sort((a, b) => a.startOffset - b.startOffset)
      .map((t) => this.ident(t)!);
    if (parts.length === 0) return undefined;
    return { parts, text: parts.map((p) => p.text).join('.'), span: span(this.src, parts[0]!.span.start, parts[parts.length - 1]!.span.end) };
  }

  private ident(tok: IToken | undefined): A.Ident | undefined {
    return real(tok) ? { text: tok.image, span: this.tokenSpan(tok) } : undefined;
  }

  /** The `///` lines directly above a node (only whitespace between), joined with newlines. */
  private docFor(node: CstNode): string | undefined {
    const start = node.location?.startOffset;
    if (start === undefined || !Number.isFinite(start)) return undefined;
    let i = this.lastDocBefore(start);
    const lines: IToken[] = [];
    let boundary = start;
    while (i >= 0) {
      const doc = this.docs[i]!;
      if (this.src.text.slice(doc.endOffset! + 1, boundary).trim() !== '') break;
      lines.unshift(doc);
      boundary = doc.startOffset;
      i--;
    }
    if (lines.length === 0) return undefined;
    for (const l of lines) this.usedDocs.add(l);
    return lines.map((l) => l.image.slice(3).replace(/^ /, '')).join('\n');
  }

  private lastDocBefore(offset: number): number {
    let lo = 0;
    let hi = this.docs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.docs[mid]!.startOffset < offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Whether a syntax error fell inside the node (or right at its end, where a missing '}' is noticed). */
  private isRecovered(node: CstNode): boolean {
    if (node.recoveredNode) return true;
    const start = node.location?.startOffset;
    const end = node.location?.endOffset;
    if (start === undefined || end === undefined || !Number.isFinite(start) || !Number.isFinite(end)) return true;
    const offsets = this.errorOffsets;
    let lo = 0;
    let hi = offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      // An error at a node's first token belongs to what came before it (a missing ';' or '}').
      if (offsets[mid]! <= start) lo = mid + 1;
      else hi = mid;
    }
    return lo < offsets.length && offsets[lo]! <= end + 1;
  }

  private spanOf(node: CstNode): Span {
    const loc = node.location;
    const start = loc && Number.isFinite(loc.startOffset) ? loc.startOffset : 0;
    const end = loc && Number.isFinite(loc.endOffset) ? (loc.endOffset ?? start) + 1 : start;
    return span(this.src, start, end);
  }

  private tokenSpan(tok: IToken): Span {
    return span(this.src, tok.startOffset, (tok.endOffset ?? tok.startOffset) + 1);
  }

  private nodes(node: CstNode | undefined, key: string): CstNode[] {
    return ((node?.children as Children | undefined)?.[key] ?? []).filter((c): c is CstNode => !isToken(c));
  }

  private node(node: CstNode | undefined, key: string): CstNode | undefined {
    return this.nodes(node, key)[0];
  }

  private tokens(node: CstNode | undefined, key: string): IToken[] {
    return ((node?.children as Children | undefined)?.[key] ?? []).filter(isToken);
  }

  private token(node: CstNode | undefined, key: string): IToken | undefined {
    return this.tokens(node, key).find(real);
  }

  private allNodes(node: CstNode): CstNode[] {
    return Object.values(node.children as Children).flatMap((list) => (list ?? []).filter((c): c is CstNode => !isToken(c)));
  }

  /** Children in source order; Chevrotain groups them by kind, which loses the order between kinds. */
  private ordered(node: CstNode): (CstNode | IToken)[] {
    const offset = (c: CstNode | IToken) => (isToken(c) ? c.startOffset : (c.location?.startOffset ?? 0));
    return Object.values(node.children as Children)
      .flatMap((l) => l ?? [])
      .sort((a, b) => offset(a) - offset(b));
  }
}
