import type { StoreBackend } from '../../runtime/store/index.ts';
import { RegistryError } from './errors.ts';

/** The most ids one listing walks: far beyond any registry midl writes, and a bound for a store that pages forever. */
export const MAX_LISTED_IDS = 100_000;

/**
 * Every id of a collection under `prefix`, page by page. A page whose `next` does not move forward, or
 * more than MAX_LISTED_IDS ids, is a store that would keep us listing forever: refused as `corrupt`.
 */
export async function listAll(store: StoreBackend, corpus: string, collection: string, prefix?: string): Promise<string[]> {
  const ids: string[] = [];
  let startAfter: string | undefined;
  for (;;) {
    const page = await store.list(corpus, collection, { ...(prefix === undefined ? {} : { prefix }), ...(startAfter === undefined ? {} : { startAfter }) });
    ids.push(...page.ids);
    if (ids.length > MAX_LISTED_IDS) throw new RegistryError('corrupt', `${store.description}: ${corpus}/${collection} lists more than ${MAX_LISTED_IDS} ids`);
    if (page.next === undefined) return ids;
    if (startAfter !== undefined && page.next <= startAfter)
      throw new RegistryError(
        'corrupt',
        `${store.description}: listing ${corpus}/${collection} does not advance (next ${JSON.stringify(page.next)} after ${JSON.stringify(startAfter)})`,
      );
    startAfter = page.next;
  }
}
