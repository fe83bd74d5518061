/**
 * Regular expressions that JSON Schema needs where its numeric keywords cannot help: the decimal
 * strings of 64-bit integers and integer map keys (an exact range, e.g. u64 is 0..18446744073709551615),
 * and base64 text of a bounded number of bytes. Every pattern is anchored, uses only syntax that is
 * valid with the `u` flag (ajv compiles patterns with it), and matches exactly the canonical texts:
 * no sign on zero, no leading zeros, no `+`; padded base64 (RFC 4648).
 */

const DIGIT = '[0-9]';

function digitClass(lo: number, hi: number): string {
  if (lo === hi) return String(lo);
  if (lo === 0 && hi === 9) return DIGIT;
  if (hi === lo + 1) return `[${lo}${hi}]`;
  return `[${lo}-${hi}]`;
}

function quantifier(min: number, max: number | undefined): string {
  if (max === undefined) return min === 0 ? '*' : min === 1 ? '+' : `{${min},}`;
  if (min === max) return min === 1 ? '' : `{${min}}`;
  if (min === 0 && max === 1) return '?';
  return `{${min},${max}}`;
}

function digits(n: number): string {
  return n === 0 ? '' : `${DIGIT}${quantifier(n, n)}`;
}

/** Alternatives matching exactly the decimal strings of a..b, both of the same length n ≥ 1 (leading digit already valid). */
function sameLength(a: string, b: string): string[] {
  if (a.length === 0) return [''];
  const a0 = Number(a[0]);
  const b0 = Number(b[0]);
  const aRest = a.slice(1);
  const bRest = b.slice(1);
  const rest = a.length - 1;
  if (a0 === b0) return sameLength(aRest, bRest).map((s) => `${a0}${s}`);
  const out: string[] = [];
  const aFloor = /^0*$/.test(aRest);
  const bCeil = /^9*$/.test(bRest);
  const midLo = aFloor ? a0 : a0 + 1;
  const midHi = bCeil ? b0 : b0 - 1;
  if (!aFloor) out.push(...sameLength(aRest, '9'.repeat(rest)).map((s) => `${a0}${s}`));
  if (midLo <= midHi) out.push(`${digitClass(midLo, midHi)}${digits(rest)}`);
  if (!bCeil) out.push(...sameLength('0'.repeat(rest), bRest).map((s) => `${b0}${s}`));
  return out;
}

/** Alternatives for the non-negative integers lo..hi (lo ≤ hi, both ≥ 0). */
function naturalRange(lo: bigint, hi: bigint): string[] {
  const out: string[] = [];
  if (lo === 0n) {
    out.push('0');
    if (hi === 0n) return out;
    lo = 1n;
  }
  const loLen = lo.toString().length;
  const hiLen = hi.toString().length;
  // Whole lengths (10^(k-1) .. 10^k - 1) collapse into one alternative: [1-9][0-9]{m,n}.
  let fullFrom: number | undefined;
  let fullTo = 0;
  const flushFull = () => {
    if (fullFrom === undefined) return;
    out.push(`[1-9]${fullFrom === 1 && fullTo === 1 ? '' : `${DIGIT}${quantifier(fullFrom - 1, fullTo - 1)}`}`);
    fullFrom = undefined;
  };
  for (let len = loLen; len <= hiLen; len++) {
    const floor = 10n ** BigInt(len - 1);
    const ceil = 10n ** BigInt(len) - 1n;
    const a = lo > floor ? lo : floor;
    const b = hi < ceil ? hi : ceil;
    if (a === floor && b === ceil) {
      fullFrom ??= len;
      fullTo = len;
      continue;
    }
    flushFull();
    out.push(...sameLength(a.toString(), b.toString()));
  }
  flushFull();
  return out;
}

function anchored(alternatives: readonly string[]): string {
  return alternatives.length === 1 ? `^${alternatives[0]!}$` : `^(?:${alternatives.join('|')})$`;
}

/**
 * A pattern matching exactly the canonical decimal texts (`0`, `-12`, `18446744073709551615`, never
 * `-0`, `007` or `+1`) of the integers lo..hi.
 */
export function integerRangePattern(lo: bigint, hi: bigint): string {
  if (lo > hi) throw new RangeError(`integerRangePattern: empty range ${lo}..${hi}`);
  const key = `${lo}..${hi}`;
  let pattern = rangePatterns.get(key);
  if (pattern === undefined) {
    pattern = buildRangePattern(lo, hi);
    rangePatterns.set(key, pattern);
  }
  return pattern;
}

/** Most ranges are whole types' (u64, i64, map keys): each is built once per process. */
const rangePatterns = new Map<string, string>();

function buildRangePattern(lo: bigint, hi: bigint): string {
  const alternatives: string[] = [];
  if (lo < 0n) {
    const negHi = hi < 0n ? -hi : 1n;
    alternatives.push(...naturalRange(negHi, -lo).map((s) => `-${s}`));
  }
  if (hi >= 0n) alternatives.push(...naturalRange(lo > 0n ? lo : 0n, hi));
  // Put the non-negative alternatives first: they are the common case.
  const neg = alternatives.filter((s) => s.startsWith('-'));
  return anchored([...alternatives.filter((s) => !s.startsWith('-')), ...neg]);
}

const B64 = '[A-Za-z0-9+/]';
const B64_TAIL: Readonly<Record<0 | 1 | 2, string>> = { 0: '', 1: `${B64}{2}==`, 2: `${B64}{3}=` };

/**
 * A pattern matching padded base64 text (RFC 4648 alphabet) of minBytes..maxBytes bytes (maxBytes
 * undefined: no upper bound). n bytes are ⌊n/3⌋ groups of four characters, then `xx==` when n mod 3 is
 * 1 or `xxx=` when it is 2.
 */
export function base64Pattern(minBytes = 0, maxBytes?: number): string {
  if (maxBytes !== undefined && minBytes > maxBytes) throw new RangeError(`base64Pattern: empty range ${minBytes}..${maxBytes}`);
  // For each remainder r, the allowed numbers of whole groups k (n = 3k + r).
  const groups = new Map<string, { min: number; max: number | undefined; tails: (0 | 1 | 2)[] }>();
  for (const r of [0, 1, 2] as const) {
    const kMin = Math.max(0, Math.ceil((minBytes - r) / 3));
    const kMax = maxBytes === undefined ? undefined : Math.floor((maxBytes - r) / 3);
    if (kMax !== undefined && kMax < kMin) continue;
    const key = `${kMin},${kMax ?? ''}`;
    const g = groups.get(key);
    if (g) g.tails.push(r);
    else groups.set(key, { min: kMin, max: kMax, tails: [r] });
  }
  const alternatives = [...groups.values()].map((g) => {
    const body = g.max === 0 ? '' : g.min === 1 && g.max === 1 ? `${B64}{4}` : `(?:${B64}{4})${quantifier(g.min, g.max)}`;
    const tails = g.tails.filter((t) => t !== 0).map((t) => B64_TAIL[t]);
    const optional = g.tails.includes(0);
    if (tails.length === 0) return body;
    const tail = tails.length === 1 && !optional ? tails[0]! : `(?:${tails.join('|')})${optional ? '?' : ''}`;
    return `${body}${tail}`;
  });
  return anchored(alternatives);
}
