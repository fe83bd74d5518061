/** Optimal string alignment distance, capped: we only care about near misses. */
export function editDistance(a: string, b: string, cap = 4): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const prev2 = new Array<number>(b.length + 1).fill(0);
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur: number[] = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    for (let j = 0; j <= b.length; j++) prev2[j] = prev[j]!;
    prev = cur;
    if (rowMin > cap) return cap + 1;
  }
  return prev[b.length]!;
}

/** The closest candidate within a distance that grows with the name's length, or undefined. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestScore = Infinity;
  let prefixMatch: string | undefined;
  for (const c of candidates) {
    if (c === name) continue;
    const score = c.toLowerCase() === lower ? 0.5 : editDistance(name, c, limit);
    if (score <= limit && (score < bestScore || (score === bestScore && best !== undefined && c < best))) {
      best = c;
      bestScore = score;
    }
    // `host` → `hostname`: a typed prefix of a longer name is a likely intent too.
    if (name.length >= 3 && c.toLowerCase().startsWith(lower) && (prefixMatch === undefined || c < prefixMatch)) prefixMatch = c;
  }
  return best ?? prefixMatch;
}

export function didYouMean(name: string, candidates: Iterable<string>, fallback?: string): string | undefined {
  const best = closest(name, candidates);
  return best !== undefined ? `did you mean '${best}'?` : fallback;
}

/**
 * Candidates compared per compilation before "did you mean" stops looking. Each unknown name is
 * compared with every visible name, so a file of 200,000 unknown names among 200,000 declarations
 * would take hours; within the budget (a fraction of a second) every suggestion is still made.
 */
export const SUGGESTION_BUDGET = 250_000;

/** `didYouMean` for candidate lists that grow with the input, under one budget per compilation. */
export class Suggester {
  private left: number;

  constructor(budget = SUGGESTION_BUDGET) {
    this.left = budget;
  }

  didYouMean(name: string, candidates: readonly string[], fallback?: string): string | undefined {
    if (candidates.length > this.left) {
      this.left = 0;
      return fallback;
    }
    this.left -= candidates.length;
    return didYouMean(name, candidates, fallback);
  }
}
