/** Small helpers for writing TypeScript source text: literals, property keys, doc comments. */

/** A single-quoted TS string literal. */
export function str(text: string): string {
  let out = "'";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === "'" || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A property key for an object literal: bare when it is an identifier, else quoted; `__proto__` is computed so it stays an own property. */
export function key(name: string): string {
  if (name === '__proto__') return `['__proto__']`;
  return IDENT.test(name) ? name : str(name);
}

/** Property access: `.name` or `['name']`. */
export function access(name: string): string {
  return IDENT.test(name) ? `.${name}` : `[${str(name)}]`;
}

/** A JSDoc block (indented by `indent`), or nothing for no text. `*\/` inside the text cannot end the comment. */
export function docComment(text: string | undefined, indent: string): string[] {
  if (!text) return [];
  const lines = text.replace(/\*\//g, '*\\/').split('\n');
  if (lines.length === 1) return [`${indent}/** ${lines[0]} */`];
  return [`${indent}/**`, ...lines.map((l) => (l ? `${indent} * ${l}` : `${indent} *`)), `${indent} */`];
}

/** A bigint literal in hex (`0x200n`). */
export function hexBigint(value: bigint): string {
  return `0x${value.toString(16)}n`;
}

/** Code-unit order, the same on every platform (never locale-dependent). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
