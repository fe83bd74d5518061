/**
 * Facts about a WGSL module that WebGPU does not report: which functions are `@compute` entry points
 * and whether the module declares the push-constant uniform. One linear pass over comment-free text
 * (hostile sources included); the device still validates everything when the pipeline and bind groups
 * are created.
 */

/**
 * The bind group slot that emulates push constants (WebGPU here has no immediate data): a shader that
 * takes push constants declares `@group(3) @binding(0) var<uniform> push: T;` (T at most 256 bytes) and
 * the engine binds a 256-byte uniform buffer there holding `JobDispatch.pushConstants`, zero-padded.
 */
export const PUSH_CONSTANT_GROUP = 3;
export const PUSH_CONSTANT_BINDING = 0;

/** Replaces `//` and (nestable) `/* … *\/` comments with spaces, keeping line and column positions. */
export function stripWgslComments(source: string): string {
  const out: string[] = [];
  let depth = 0;
  let i = 0;
  let copiedUpTo = 0;
  const blank = (from: number, to: number) => {
    out.push(source.slice(copiedUpTo, from), source.slice(from, to).replace(/[^\n]/gu, ' '));
    copiedUpTo = to;
  };
  let commentStart = 0;
  while (i < source.length) {
    const c = source.charCodeAt(i);
    const next = source.charCodeAt(i + 1);
    if (depth === 0 && c === 0x2f && next === 0x2f) {
      const end = source.indexOf('\n', i);
      blank(i, end === -1 ? source.length : end);
      i = end === -1 ? source.length : end;
    } else if (c === 0x2f && next === 0x2a) {
      if (depth === 0) commentStart = i;
      depth++;
      i += 2;
    } else if (depth > 0 && c === 0x2a && next === 0x2f) {
      depth--;
      i += 2;
      if (depth === 0) blank(commentStart, i);
    } else {
      i++;
    }
  }
  if (depth > 0) blank(commentStart, source.length);
  out.push(source.slice(copiedUpTo));
  return out.join('');
}

export interface WgslAttribute {
  readonly name: string;
  /** The text between the parentheses, trimmed; undefined without parentheses. */
  readonly args: string | undefined;
}

export interface WgslOutline {
  /** Functions with their attributes, in source order. */
  readonly functions: readonly { readonly name: string; readonly attributes: readonly WgslAttribute[] }[];
  /** Module-scope and other `var` declarations with their address space (`uniform`, `storage, read`…). */
  readonly variables: readonly { readonly addressSpace: string | undefined; readonly attributes: readonly WgslAttribute[] }[];
}

const isIdentifierStart = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
const isIdentifierPart = (c: number) => isIdentifierStart(c) || (c >= 0x30 && c <= 0x39);
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;

/**
 * Functions and variables with the attributes written before them. Every character is looked at a
 * bounded number of times: attribute arguments and `var<…>` templates are read to their closing
 * bracket once and never rescanned.
 */
export function outlineWgsl(source: string): WgslOutline {
  const text = stripWgslComments(source);
  const functions: { name: string; attributes: WgslAttribute[] }[] = [];
  const variables: { addressSpace: string | undefined; attributes: WgslAttribute[] }[] = [];
  let pending: WgslAttribute[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  };
  const identifier = (): string | undefined => {
    skipSpace();
    if (i >= text.length || !isIdentifierStart(text.charCodeAt(i))) return undefined;
    const start = i;
    while (i < text.length && isIdentifierPart(text.charCodeAt(i))) i++;
    return text.slice(start, i);
  };
  /** The text up to the bracket closing the one at `i` (nesting counted), or undefined at the end. */
  const bracketed = (open: string, close: string): string | undefined => {
    let depth = 0;
    const start = i + 1;
    for (; i < text.length; i++) {
      if (text[i] === open) depth++;
      else if (text[i] === close && --depth === 0) {
        i++;
        return text.slice(start, i - 1).trim();
      }
    }
    return undefined;
  };
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (c === 0x40 /* @ */) {
      i++;
      const name = identifier();
      if (name === undefined) {
        pending = [];
        continue;
      }
      skipSpace();
      const args = text[i] === '(' ? bracketed('(', ')') : undefined;
      pending.push({ name, args });
    } else if (isIdentifierStart(c)) {
      const word = identifier()!;
      if (word === 'fn') {
        const name = identifier();
        if (name !== undefined) functions.push({ name, attributes: pending });
      } else if (word === 'var') {
        skipSpace();
        variables.push({ addressSpace: text[i] === '<' ? bracketed('<', '>') : undefined, attributes: pending });
      }
      pending = [];
    } else {
      i++;
      pending = [];
    }
  }
  return { functions, variables };
}

/** Names of the module's `@compute` functions, in source order. */
export function computeEntryPoints(source: string): string[] {
  return outlineWgsl(source)
    .functions.filter((fn) => fn.attributes.some((attribute) => attribute.name === 'compute'))
    .map((fn) => fn.name);
}

/** The integer an attribute holds when it is a plain decimal or hex literal (`3`, `3u`, `0x3i`). */
function literalIndex(attributes: readonly WgslAttribute[], name: string): number | undefined {
  const args = attributes.find((attribute) => attribute.name === name)?.args;
  const match = args === undefined ? null : /^(0[xX][0-9a-fA-F]+|\d+)[iu]?\s*,?$/u.exec(args);
  return match === null ? undefined : Number(match[1]);
}

/** True when the module declares a uniform at the push-constant slot. */
export function declaresPushConstants(source: string): boolean {
  return outlineWgsl(source).variables.some(
    (variable) =>
      variable.addressSpace === 'uniform' &&
      literalIndex(variable.attributes, 'group') === PUSH_CONSTANT_GROUP &&
      literalIndex(variable.attributes, 'binding') === PUSH_CONSTANT_BINDING,
  );
}
