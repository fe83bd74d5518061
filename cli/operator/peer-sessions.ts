import type { SessionRecord } from '../../runtime/index.ts';
import { openStore, type StoreBackend } from '../../runtime/store/index.ts';
import { storeSessionRecords, type StoreSessionRecords } from '../../services/index.ts';
import { UsageError } from '../exit.ts';
import { describeError } from './options.ts';

/** `midl peer --store S`: the store its sessions are kept in, and the sessions an earlier run left there. */
export interface PeerSessionStore {
  readonly store: StoreBackend;
  readonly records: StoreSessionRecords;
  readonly restored: readonly SessionRecord[];
}

/**
 * Opens `spec` and reads the session records the authority `name` left there, warning on stderr about
 * each record that is not one (named; the peer starts without it). A store that cannot be opened or
 * read is the operator's to fix: the peer does not start without the sessions it was told to keep.
 */
export async function openPeerSessions(spec: string, name: string): Promise<PeerSessionStore> {
  let store: StoreBackend;
  let records: StoreSessionRecords;
  try {
    store = openStore(spec);
    records = storeSessionRecords(store, { authority: name });
  } catch (err) {
    throw new UsageError(`--store ${spec}: ${describeError(err)}`);
  }
  try {
    const loaded = await records.load();
    for (const s of loaded.skipped) process.stderr.write(`warning: store: session record ${s.id} of ${store.description} skipped: ${s.reason}\n`);
    return { store, records, restored: loaded.records };
  } catch (err) {
    await store.close();
    throw new UsageError(`--store ${spec}: cannot read the sessions kept there: ${describeError(err)}`);
  }
}
