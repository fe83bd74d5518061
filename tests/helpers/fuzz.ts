import fc from 'fast-check';
import { MidlLexer } from '../../compiler/lexer/tokens.ts';

/** The language's words, with the scalar names and the words that topic properties take. */
const KEYWORDS = ['package', 'version', 'import', 'capability', 'struct', 'enum', 'union', 'errors', 'topic', 'intent', 'reserved', 'map', 'true', 'false'];
const WORDS = [
  'bool',
  'u8',
  'u16',
  'u32',
  'u64',
  'i8',
  'i16',
  'i32',
  'i64',
  'f32',
  'f64',
  'string',
  'bytes',
  'timestamp',
  'duration',
  'uuid',
  'json',
  'payload',
  'reply',
  'qos',
  'budget',
  'latency',
  'jitter',
  'publish',
  'subscribe',
  'lane',
  'maxPayload',
  'stream',
  'body',
  'http',
  'service',
  'min',
  'max',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'pattern',
  'format',
  'at_least_once',
  'sysex8',
  'flex',
  'POST',
  'GET',
  'Job',
  'ok',
];
const PUNCTUATION = ['{', '}', '(', ')', '[', ']', '<', '>', ';', ':', ',', '=', '?', '@', '.', '/', '-', '{}', '@1', '[]', '?:', '<>'];
const NUMBERS = [
  '0',
  '1',
  '-1',
  '7',
  '65535',
  '65536',
  '536870911',
  '536870912',
  '18446744073709551616',
  '-9223372036854775809',
  '0x1F',
  '0x',
  '0x_',
  '0X__ff',
  '1.5',
  '1e3',
  '1e400',
  '-1e-400',
  '2.5e+10',
  '99999999999999999999999',
];
const QUANTITIES = ['50ms', '5us', '1s', '0ms', '3601s', '1MiB', '64KiB', '2GiB', '1MB', '5mss', '1.5s', '0B', '9999999999GiB'];
const STRINGS = [
  '"1.2.0"',
  '"1.2"',
  '""',
  '"common.midl"',
  '"../x.midl"',
  '"input.midl"',
  '"/planner/{id}"',
  '"[a-"',
  '"\\w"',
  '"\\u{110000}"',
  '"\\u{1F600}"',
  '"\\"',
  '"a\\"b"',
  '"unterminated',
  "'single'",
  '"tab\there"',
];
const COMMENTS = ['// note', '/// doc', '////', '/* block */', '/*', '*/', '/* nested /* */', '/** doc? */'];
const ADDRESSES = ['a/b', 'gpu/job.result/{corr}', 'gpu/Job.x', 'a//b', '{p}/x', 'a/{x}/{x}', 'a/b{c}', 'x/y/', 'gpu__job/dispatch'];
const ODD = [
  '\u0000',
  '\t',
  '\r',
  '\r\n',
  '\u001b',
  '\u007f',
  '\u00a0',
  '\u2028',
  '\ufeff',
  '\ud800',
  '\udc00',
  '😀',
  'é',
  'e\u0301',
  '\u202e',
  '日本',
  '#',
  '$',
  '`',
  '\\',
  '%',
  '&',
  '|',
  '~',
  '^',
  '!',
];
const SNIPPETS = [
  'package a.b;',
  'version "1.0.0";',
  'import "common.midl";',
  'capability c.x;',
  'capability c.y = 3;',
  'capability c.z = 64;',
  'struct S { a: u8 @1; }',
  'struct S { a?: S @1; b: map<string, S[]> @2 (maxItems = 3) = 5; reserved @3, @4; }',
  'enum E { a = 0; b = 1; }',
  'union U { a: u8 @1; b: string @2; }',
  'errors Err { X = 1 "x"; }',
  'topic a/b { payload: S; qos: at_least_once; budget { latency: 5ms; } publish: c.x; }',
  'intent a.b { body: S; http: POST "/a/{a}"; service: s; }',
];

const pick = (list: readonly string[]) => fc.constantFrom(...list);

/** One token-ish piece of .midl text: mostly valid vocabulary, sometimes garbage. */
export const midlPiece: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: pick(KEYWORDS) },
  { weight: 3, arbitrary: pick(WORDS) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/) },
  { weight: 5, arbitrary: pick(PUNCTUATION) },
  { weight: 2, arbitrary: pick(NUMBERS) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 600 }).map(String) },
  { weight: 1, arbitrary: pick(QUANTITIES) },
  { weight: 2, arbitrary: pick(STRINGS) },
  { weight: 1, arbitrary: pick(COMMENTS) },
  { weight: 1, arbitrary: pick(ADDRESSES) },
  { weight: 1, arbitrary: pick(ODD) },
  { weight: 2, arbitrary: pick(SNIPPETS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }) },
);

const separator = fc.constantFrom(' ', ' ', ' ', '\n', '', '\n\n', '\t');

/** A random source text built from the vocabulary, with random spacing. */
export const midlText: fc.Arbitrary<string> = fc.array(fc.tuple(midlPiece, separator), { maxLength: 60 }).map((parts) => parts.map(([p, s]) => p + s).join(''));

/** A random source text that starts like a real file, so the checker gets to run on what follows. */
export const midlFileText: fc.Arbitrary<string> = fc
  .tuple(fc.boolean(), midlText)
  .map(([head, body]) => (head ? `package fuzz.test;\nversion "1.0.0";\n${body}` : body));

/** Start and end offsets of every token and comment, in source order. */
function tokenSpans(text: string): [number, number][] {
  const r = MidlLexer.tokenize(text);
  const all = [...r.tokens, ...Object.values(r.groups).flat()];
  return all.map((t) => [t.startOffset, (t.endOffset ?? t.startOffset) + 1] as [number, number]).sort((a, b) => a[0] - b[0]);
}

/**
 * One edit of a text, as plain data so that fast-check prints counterexamples readably. `at` is a
 * fraction of the way through the tokens (token edits) or characters (character edits).
 */
export type Edit =
  | { readonly kind: 'token'; readonly op: 'delete' | 'duplicate' | 'swap' | 'replace'; readonly at: number; readonly piece: string }
  | { readonly kind: 'char'; readonly op: 'delete' | 'duplicate' | 'insert' | 'truncate'; readonly at: number; readonly length: number; readonly junk: string };

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

const tokenEdit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constant('token' as const),
  op: fc.constantFrom('delete' as const, 'duplicate' as const, 'swap' as const, 'replace' as const),
  at: fraction,
  piece: midlPiece,
});

const charEdit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constant('char' as const),
  op: fc.constantFrom('delete' as const, 'duplicate' as const, 'insert' as const, 'truncate' as const),
  at: fraction,
  length: fc.integer({ min: 1, max: 12 }),
  junk: fc.oneof(midlPiece, fc.string({ unit: 'grapheme', maxLength: 4 })),
});

/** 1 to 4 edits, mostly token-level, applied in order. */
export const mutation: fc.Arbitrary<Edit[]> = fc.array(fc.oneof({ weight: 3, arbitrary: tokenEdit }, { weight: 2, arbitrary: charEdit }), {
  minLength: 1,
  maxLength: 4,
});

export function applyEdit(text: string, edit: Edit): string {
  if (edit.kind === 'char') {
    const i = Math.floor(edit.at * (text.length + 1));
    switch (edit.op) {
      case 'delete':
        return text.slice(0, i) + text.slice(i + edit.length);
      case 'duplicate':
        return text.slice(0, i + edit.length) + text.slice(i, i + edit.length) + text.slice(i + edit.length);
      case 'insert':
        return text.slice(0, i) + edit.junk + text.slice(i);
      case 'truncate':
        return text.slice(0, i);
    }
  }
  const spans = tokenSpans(text);
  if (spans.length === 0) return text + edit.piece;
  const i = Math.floor(edit.at * spans.length);
  const [s, e] = spans[i]!;
  const tok = text.slice(s, e);
  switch (edit.op) {
    case 'delete':
      return text.slice(0, s) + text.slice(e);
    case 'duplicate':
      return text.slice(0, e) + ' ' + tok + text.slice(e);
    case 'replace':
      return text.slice(0, s) + edit.piece + text.slice(e);
    case 'swap': {
      const next = spans[i + 1];
      if (!next) return text;
      const [s2, e2] = next;
      return text.slice(0, s) + text.slice(s2, e2) + text.slice(e, s2) + tok + text.slice(e2);
    }
  }
}

export function applyEdits(text: string, edits: readonly Edit[]): string {
  return edits.reduce(applyEdit, text);
}

/** How many runs a property gets: `MIDL_FUZZ_SCALE` (default 1) multiplies every fuzz test's count. */
export function fuzzRuns(base: number): number {
  const scale = Number(process.env['MIDL_FUZZ_SCALE'] ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** A fixed seed from `MIDL_FUZZ_SEED` reproduces a run; otherwise fast-check picks one and prints it on failure. */
export function fuzzSeed(): { seed?: number } {
  const raw = process.env['MIDL_FUZZ_SEED'];
  return raw !== undefined && raw !== '' && Number.isFinite(Number(raw)) ? { seed: Number(raw) } : {};
}
