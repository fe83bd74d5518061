/**
 * A tiny code writer for the TypeScript emitter: lines with two-space indentation, and the literal
 * helpers every part of the emitter shares (string literals, property keys, doc comments).
 */

export class CodeWriter {
  private readonly lines: string[] = [];
  private depth = 0;

  /** One line at the current indentation (an empty string gives an empty line). */
  line(text = ''): this {
    this.lines.push(text === '' ? '' : '  '.repeat(this.depth) + text);
    return this;
  }

  /** Several lines, each possibly multi-line text, at the current indentation. */
  lines_(texts: readonly string[]): this {
    for (const t of texts) for (const l of t.split('\n')) this.line(l);
    return this;
  }

  /** `head`, the body one level deeper, then `tail`. */
  block(head: string, body: () => void, tail = '}'): this {
    this.line(head);
    this.depth++;
    body();
    this.depth--;
    return this.line(tail);
  }

  indent(body: () => void): this {
    this.depth++;
    body();
    this.depth--;
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** A single-quoted string literal. */
export function str(text: string): string {
  return `'${text.replace(/[\\'\n\r\t\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    switch (c) {
      case '\\':
        return '\\\\';
      case "'":
        return "\\'";
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  })}'`;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A key in an object literal; `__proto__` is computed so that it stays an own property. */
export function propKey(name: string): string {
  if (name === '__proto__') return `['__proto__']`;
  return IDENT.test(name) ? name : str(name);
}

/** A property in a type literal. */
export function typeKey(name: string): string {
  return IDENT.test(name) ? name : str(name);
}

/** `obj.name`, or `obj['name']` where a dot will not do. */
export function member(obj: string, name: string): string {
  return IDENT.test(name) ? `${obj}.${name}` : `${obj}[${str(name)}]`;
}

/** JSDoc lines for a doc comment (none for no doc); `*\/` in the text cannot end the comment. */
export function docLines(doc: string | undefined): string[] {
  if (doc === undefined || doc.trim() === '') return [];
  const lines = doc
    .replace(/\*\//g, '*\\/')
    .split('\n')
    .map((l) => l.trimEnd());
  if (lines.length === 1) return [`/** ${lines[0]} */`];
  return ['/**', ...lines.map((l) => (l === '' ? ' *' : ` * ${l}`)), ' */'];
}

/**
 * A JSON value as a TS literal: one line when short, else indented two spaces per level; keys named
 * `__proto__` stay own properties.
 */
export function jsonLiteral(value: unknown, indent = ''): string {
  const flat = flatLiteral(value);
  if (flat.length + indent.length <= 100) return flat;
  if (Array.isArray(value)) {
    const inner = indent + '  ';
    return `[\n${value.map((v) => inner + jsonLiteral(v, inner)).join(',\n')},\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const inner = indent + '  ';
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${inner}${propKey(k)}: ${jsonLiteral(v, inner)}`);
    return `{\n${entries.join(',\n')},\n${indent}}`;
  }
  return flat;
}

function flatLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flatLiteral).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${propKey(k)}: ${flatLiteral(v)}`).join(', ')} }`;
  }
  if (typeof value === 'string') return str(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  return JSON.stringify(value) ?? 'undefined';
}
