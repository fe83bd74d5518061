import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { MIDL_ROOT } from '../../version.ts';

/**
 * Handlebars templates of text outputs (`templates/` at the repository root). One isolated instance
 * with an explicit helper set: no HTML escaping (outputs are Markdown and plain text), strict mode
 * (a missing field in a view is an error, not an empty string), no prototype access. Views must
 * therefore carry every field a template reads, with `null` or `[]` where there is nothing.
 */
export const TEMPLATES_DIR = join(MIDL_ROOT, 'templates', '/');

const hbs = Handlebars.create();

/** Unwraps hard-wrapped doc comment lines: lines join with a space, blank lines separate paragraphs. */
export function paragraphs(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((p) =>
      p
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '')
        .join(' '),
    )
    .filter((p) => p !== '');
}

/** Microseconds in the largest unit that keeps an integer: `10 ms`, `500 µs`, `2 s`. */
export function formatMicros(us: number): string {
  if (us !== 0 && us % 1_000_000 === 0) return `${us / 1_000_000} s`;
  if (us !== 0 && us % 1_000 === 0) return `${us / 1_000} ms`;
  return `${us} µs`;
}

/** A timing budget as text (`latency 10 ms, jitter 2 ms`), or null when it sets neither. */
export function formatBudget(b: { readonly latencyUs?: number | undefined; readonly jitterUs?: number | undefined }): string | null {
  const parts: string[] = [];
  if (b.latencyUs !== undefined) parts.push(`latency ${formatMicros(b.latencyUs)}`);
  if (b.jitterUs !== undefined) parts.push(`jitter ${formatMicros(b.jitterUs)}`);
  return parts.length > 0 ? parts.join(', ') : null;
}

/** Bytes in the largest binary unit that keeps an integer: `1 KiB`, `256 B`. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (n !== 0 && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} B`;
}

/**
 * A GitHub-flavoured Markdown table cell: one line, `|` escaped (GFM unescapes `\\|` inside code spans
 * of a table too, so this is right for code in cells as well).
 */
export function tableCell(text: string): string {
  return paragraphs(text).join(' ').replace(/\|/g, '\\|');
}

/** Inline Markdown code, fenced with enough backticks for its content. */
export function inlineCode(text: string): string {
  const runs = text.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = runs.length > 0 ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * Capability names as the bus reads a topic's list: holding any one of them is enough
 * (runtime/bus/capabilities.ts `maskAllows`), so the text never says "and": `a`, `any one of a or b`,
 * `any one of a, b or c`.
 */
export function anyOneOf(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `any one of ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]!}`;
}

/** A template value as text: primitives as JavaScript writes them, anything else as JSON (never `[object Object]`). */
const asString = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  // JSON.stringify gives undefined for functions and symbols, whatever its type says.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  return JSON.stringify(v) ?? '';
};

hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hbs.registerHelper('join', (list: unknown, sep: unknown) => (Array.isArray(list) ? list.map(asString).join(typeof sep === 'string' ? sep : ', ') : ''));
hbs.registerHelper('anyOneOf', (list: unknown) => (Array.isArray(list) ? anyOneOf(list.map(asString)) : ''));
hbs.registerHelper('count', (n: unknown, one: unknown, many: unknown) => `${Number(n)} ${Number(n) === 1 ? asString(one) : asString(many)}`);
hbs.registerHelper('micros', (us: unknown) => formatMicros(Number(us)));
hbs.registerHelper('bytes', (n: unknown) => formatBytes(Number(n)));
hbs.registerHelper('cell', (text: unknown) => tableCell(asString(text)));
hbs.registerHelper('code', (text: unknown) => inlineCode(asString(text)));
hbs.registerHelper('oneLine', (text: unknown) => paragraphs(asString(text)).join(' '));
hbs.registerHelper('paragraphs', (text: unknown) => paragraphs(asString(text)).join('\n\n'));

const compiled = new Map<string, Handlebars.TemplateDelegate>();

/**
 * Renders `templates/<name>` with `view`. Output is deterministic for a given view: templates carry
 * no clock, no locale and no random state, and helpers are pure.
 */
export function renderTemplate(name: string, view: object): string {
  let template = compiled.get(name);
  if (!template) {
    const source = readFileSync(join(TEMPLATES_DIR, name), 'utf8');
    template = hbs.compile(source, { noEscape: true, strict: true });
    compiled.set(name, template);
  }
  return template(view, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
}
