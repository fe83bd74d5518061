import { openStore, StoreError, type StoreBackend } from '../../runtime/store/index.ts';
import { UsageError } from '../exit.ts';

/** The store `--store` names (else $FOUNTAINSTORE_DIR, else .fountain/store); a spec no backend takes is a usage error. */
export function openStoreOption(spec: string | undefined): StoreBackend {
  try {
    return openStore(spec);
  } catch (err) {
    if (err instanceof StoreError) throw new UsageError(`--store: ${err.message}`);
    throw err;
  }
}
