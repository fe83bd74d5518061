/**
 * Facts about a WGSL module that WebGPU does not report: which functions are `@compute` entry points
 * and whether the module declares the push-constant uniform. Linear-time scans of comment-free text;
 * the device still validates everything when the pipeline and bind groups are created.
 */

/**
 * The bind group slot that emulates push constants (WebGPU here has no immediate data): a shader that
 * takes push constants declares `@group(3) @binding(0) var<uniform> push: T;` and the engine binds a
 * uniform buffer holding `JobDispatch.pushConstants` there (padded with zeros to T's size).
 */
export const PUSH_CONSTANT_GROUP = 3;
export const PUSH_CONSTANT_BINDING = 0;

/** Replaces `//` and (nestable) `/* … *\/` comments with spaces, keeping line and column positions. */
export function stripWgslComments(source: string): string {
  let out = '';
  let depth = 0;
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (depth === 0 && c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') {
        out += ' ';
        i++;
      }
      continue;
    }
    if (c === '/' && next === '*') {
      depth++;
      out += '  ';
      i += 2;
      continue;
    }
    if (depth > 0 && c === '*' && next === '/') {
      depth--;
      out += '  ';
      i += 2;
      continue;
    }
    out += depth > 0 && c !== '\n' ? ' ' : c;
    i++;
  }
  return out;
}

// A run of attributes (`@name` or `@name(args)` without nested parentheses) and what follows it.
// Every repetition starts with '@', so the pattern cannot backtrack more than linearly.
const ATTRIBUTES = String.raw`((?:@\s*[A-Za-z_]\w*\s*(?:\([^()]*\)\s*)?)+)`;
const FUNCTION = new RegExp(`${ATTRIBUTES}fn\\s+([A-Za-z_]\\w*)`, 'gu');
const UNIFORM_VAR = new RegExp(`${ATTRIBUTES}var\\s*<\\s*uniform\\s*>`, 'gu');

/** Names of the module's `@compute` functions, in source order. */
export function computeEntryPoints(source: string): string[] {
  const names: string[] = [];
  for (const match of stripWgslComments(source).matchAll(FUNCTION)) {
    if (/@\s*compute\b/u.test(match[1]!)) names.push(match[2]!);
  }
  return names;
}

function hasIndexAttribute(attributes: string, name: string, index: number): boolean {
  return new RegExp(`@\\s*${name}\\s*\\(\\s*${index}[iu]?\\s*,?\\s*\\)`, 'u').test(attributes);
}

/** True when the module declares a uniform at the push-constant slot. */
export function declaresPushConstants(source: string): boolean {
  for (const match of stripWgslComments(source).matchAll(UNIFORM_VAR)) {
    const attributes = match[1]!;
    if (hasIndexAttribute(attributes, 'group', PUSH_CONSTANT_GROUP) && hasIndexAttribute(attributes, 'binding', PUSH_CONSTANT_BINDING)) return true;
  }
  return false;
}
