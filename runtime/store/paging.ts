/** One page of a sorted id listing, the same for every backend that lists ids it holds itself. */
import type { ListOptions, ListPage } from './backend.ts';

export const MAX_LIST_LIMIT = 1000;

/** The page of `ids` (any order) that `options` asks for: prefix, after `startAfter`, at most `limit`, ascending. */
export function listPage(ids: readonly string[], options: ListOptions): ListPage {
  const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.floor(options.limit ?? MAX_LIST_LIMIT)));
  const prefix = options.prefix ?? '';
  const after = options.startAfter;
  const chosen = ids.filter((id) => id.startsWith(prefix) && (after === undefined || id > after)).sort();
  return chosen.length > limit ? { ids: chosen.slice(0, limit), next: chosen[limit - 1]! } : { ids: chosen };
}
