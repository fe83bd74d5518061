/**
 * Label values of a scrape kept bounded: a process may see more peers (or topics) than a metrics
 * backend should store series for, so past `max` distinct values the rest are summed under `OTHER`.
 */

/** The label value of everything past a cap. */
export const OTHER = '_other';

/**
 * Groups `items` by `key`, keeping the first `max` keys in sorted order (stable from scrape to scrape)
 * and folding the rest under `OTHER`; `merge` sums two items of one group.
 */
export function capped<T>(items: readonly T[], key: (item: T) => string, max: number, merge: (a: T, b: T) => T): Map<string, T> {
  const byKey = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    const had = byKey.get(k);
    byKey.set(k, had === undefined ? item : merge(had, item));
  }
  const keys = [...byKey.keys()].sort();
  if (keys.length <= max) return byKey;
  const kept = new Map<string, T>();
  for (const k of keys.slice(0, max)) kept.set(k, byKey.get(k)!);
  let other: T | undefined;
  for (const k of keys.slice(max)) other = other === undefined ? byKey.get(k)! : merge(other, byKey.get(k)!);
  if (other !== undefined) kept.set(OTHER, kept.has(OTHER) ? merge(kept.get(OTHER)!, other) : other);
  return kept;
}
