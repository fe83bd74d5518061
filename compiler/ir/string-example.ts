import { codePointLength, matchesFormat } from '../../runtime/index.ts';
import type { IrConstraints } from './ir.ts';

/** One known-valid sample per JSON Schema format, then alternatives tried when a pattern or length rules it out. */
const FORMAT_SAMPLES: Readonly<Record<string, readonly string[]>> = {
  'date-time': ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00Z'],
  date: ['2026-01-01'],
  time: ['12:00:00Z', '12:00:00.000Z'],
  duration: ['PT1S', 'P1D'],
  email: ['user@example.com', 'a@b.co'],
  'idn-email': ['user@example.com', 'a@b.co'],
  hostname: ['example.com', 'localhost', 'a'],
  'idn-hostname': ['example.com', 'localhost', 'a'],
  ipv4: ['192.0.2.1', '127.0.0.1'],
  ipv6: ['2001:db8::1', '::1'],
  uri: ['https://example.com/', 'https://example.com/a', 'http://example.com/', 'urn:example:a'],
  'uri-reference': ['/example', 'https://example.com/', 'a'],
  iri: ['https://example.com/', 'https://example.com/a', 'http://example.com/', 'urn:example:a'],
  'iri-reference': ['/example', 'https://example.com/', 'a'],
  'uri-template': ['/items/{id}', '/items', 'https://example.com/{id}'],
  uuid: ['00000000-0000-4000-8000-000000000000'],
  'json-pointer': ['/example', ''],
  'relative-json-pointer': ['0', '1'],
  regex: ['^.*$', 'a'],
};
const PLAIN_SAMPLES = ['example', 'a', 'A', '0', 'x1', 'example-1', 'example_1', 'main', '', '1.0.0'];

/**
 * The example of a string field: its explicit `example` when the schema gives one, else the first of a
 * fixed list of samples (format samples first, then plain ones, then each behind the literal text the
 * pattern starts with, then padding to the minimum length) that satisfies every constraint: lengths in code points,
 * the pattern with the `u` flag, and the format as the generated validators check it. Deterministic.
 * Undefined when none does: the checker then asks for an explicit `example` (MIDL1319), so no emitter
 * ever ships an example that fails validation.
 */
export function stringExample(c: IrConstraints): string | undefined {
  if (c.example !== undefined) return c.example;
  const base = c.format !== undefined ? (FORMAT_SAMPLES[c.format] ?? []) : PLAIN_SAMPLES;
  const prefix = c.pattern !== undefined ? literalPrefix(c.pattern) : '';
  const candidates = [...base, ...(prefix !== '' ? [prefix, ...base.map((s) => prefix + s), ...PLAIN_SAMPLES.map((s) => prefix + s)] : [])];
  if (c.minLength !== undefined) candidates.push('x'.repeat(c.minLength), prefix + 'x'.repeat(Math.max(0, c.minLength - codePointLength(prefix))));
  return candidates.find((s) => stringProblem(s, c) === undefined);
}

/** The first constraint `s` breaks, as the schema writes it, or undefined when it satisfies them all. */
export function stringProblem(s: string, c: IrConstraints): string | undefined {
  const len = codePointLength(s);
  if (c.minLength !== undefined && len < c.minLength) return `minLength = ${c.minLength}`;
  if (c.maxLength !== undefined && len > c.maxLength) return `maxLength = ${c.maxLength}`;
  if (c.pattern !== undefined && !new RegExp(c.pattern, 'u').test(s)) return `pattern = ${JSON.stringify(c.pattern)}`;
  if (c.format !== undefined && !matchesFormat(c.format, s)) return `format = ${JSON.stringify(c.format)}`;
  return undefined;
}

/**
 * The literal characters a pattern starts with, up to its first operator (`^https://` → `https://`,
 * `ab\.c` → `ab.c`): what an anchored pattern requires first, and a match by itself for an unanchored one.
 */
function literalPrefix(pattern: string): string {
  let out = '';
  for (let i = pattern.startsWith('^') ? 1 : 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) break;
      // A quantifier after the escape would make the character optional or repeated: stop before it.
      if (/[*+?{]/.test(pattern[i + 2] ?? '')) break;
      out += next;
      i++;
      continue;
    }
    if (/[.*+?()[\]{}|^$]/.test(ch)) break;
    if (/[*+?{]/.test(pattern[i + 1] ?? '')) break;
    out += ch;
  }
  return out;
}
