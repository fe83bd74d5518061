/**
 * An authority's session records and grant log in a store: each session's record at
 * `midl/sessions/<authority>/<sessionId>` (what a restarted authority resumes from), and every grant
 * and resume appended to `midl/grants/<authority>/<time>-<sessionId>` (who was granted what, when, over
 * which link). The bus writes through `SessionRecords`; `load` reads the records back for
 * `NetworkBusOptions.restoredSessions`, skipping (and naming) any that is not a record.
 */
import { parseSessionRecord, type JsonValue, type SessionRecord, type SessionRecordEvent, type SessionRecords } from '../../runtime/index.ts';
import { checkStoreId, StoreError, type StoreBackend } from '../../runtime/store/index.ts';

export const SESSIONS_CORPUS = 'midl';
export const SESSIONS_COLLECTION = 'sessions';
export const GRANTS_COLLECTION = 'grants';
/** The most records `load` reads: more sessions than any authority keeps at once (each one is a record to write per grant). */
export const MAX_LOADED_SESSIONS = 65_536;

export interface StoreSessionRecordsOptions {
  /** The authority's name (its bus's `name`): the records' id prefix, so authorities can share a store. */
  readonly authority: string;
  /** Wall-clock ms for the grant log's ids (default Date.now). */
  readonly now?: () => number;
}

/** A stored record `load` skipped: its id and why it is not a record. */
export interface SkippedSessionRecord {
  readonly id: string;
  readonly reason: string;
}

export interface LoadedSessionRecords {
  readonly records: readonly SessionRecord[];
  readonly skipped: readonly SkippedSessionRecord[];
}

export interface StoreSessionRecords extends SessionRecords {
  /** Where the records live, for messages: `<store>/midl/sessions/<authority>/`. */
  readonly description: string;
  /** Every record of this authority, read and checked; a document that is not a record is skipped. */
  load(): Promise<LoadedSessionRecords>;
}

/** One line of the grant log. */
interface GrantEntry {
  readonly event: 'grant' | 'resume';
  readonly authority: string;
  /** The client's name, as its HELLO gave it. */
  readonly client: string;
  /** The user its link proved, when the transport authenticates users. */
  readonly user?: string;
  readonly link: string;
  readonly atMs: number;
  /** The descriptor granted, less the resume token's hash (the log is read more widely than the records). */
  readonly session: Omit<SessionRecord, 'resumeTokenSha256'>;
}

export function storeSessionRecords(store: StoreBackend, options: StoreSessionRecordsOptions): StoreSessionRecords {
  const authority = options.authority;
  const now = options.now ?? Date.now;
  const prefix = `${authority}/`;
  // The longest ids this authority writes: refused now, not at the first grant.
  const largestSessionId = String(0xffff_ffff);
  checkStoreId(`${prefix}${largestSessionId}`);
  checkStoreId(`${prefix}${new Date(8.64e15).toISOString()}-${largestSessionId}-99`);
  const idOf = (sessionId: number) => `${prefix}${sessionId}`;

  const log = async (record: SessionRecord, event: 'grant' | 'resume'): Promise<void> => {
    const atMs = now();
    const { resumeTokenSha256: _secretish, ...session } = record;
    const entry: GrantEntry = {
      event,
      authority,
      client: record.peerName,
      ...(record.user === undefined ? {} : { user: record.user }),
      link: record.link,
      atMs,
      session,
    };
    const base = `${prefix}${new Date(atMs).toISOString()}-${record.sessionId}`;
    // Appended, never overwritten: two entries of one session in one millisecond get a suffix.
    for (let n = 1; ; n++) {
      try {
        await store.put(SESSIONS_CORPUS, GRANTS_COLLECTION, n === 1 ? base : `${base}-${n}`, entry as unknown as JsonValue, { ifVersion: null });
        return;
      } catch (err) {
        if (!(err instanceof StoreError && err.code === 'conflict') || n >= 99) throw err;
      }
    }
  };

  return {
    description: `${store.description}: ${SESSIONS_CORPUS}/${SESSIONS_COLLECTION}/${prefix}`,

    async save(record: SessionRecord, event: SessionRecordEvent): Promise<void> {
      await store.put(SESSIONS_CORPUS, SESSIONS_COLLECTION, idOf(record.sessionId), record as unknown as JsonValue);
      if (event !== 'detach') await log(record, event);
    },

    async remove(sessionId: number): Promise<void> {
      await store.delete(SESSIONS_CORPUS, SESSIONS_COLLECTION, idOf(sessionId));
    },

    async load(): Promise<LoadedSessionRecords> {
      const records: SessionRecord[] = [];
      const skipped: SkippedSessionRecord[] = [];
      let startAfter: string | undefined;
      do {
        const page = await store.list(SESSIONS_CORPUS, SESSIONS_COLLECTION, { prefix, ...(startAfter === undefined ? {} : { startAfter }) });
        for (const id of page.ids) {
          // An authority whose name continues this one's after a '/' ('hub/east' under 'hub'): its records, not ours.
          if (id.slice(prefix.length).includes('/')) continue;
          if (records.length + skipped.length >= MAX_LOADED_SESSIONS) {
            skipped.push({ id, reason: `more than ${MAX_LOADED_SESSIONS} session records: the rest are not read` });
            return { records, skipped };
          }
          const read = await readRecord(store, id, prefix);
          if ('reason' in read) skipped.push({ id, reason: read.reason });
          else records.push(read);
        }
        startAfter = page.next;
      } while (startAfter !== undefined);
      return { records, skipped };
    },
  };
}

/** One stored record, checked: its content, and that it is filed under its own session id. */
async function readRecord(store: StoreBackend, id: string, prefix: string): Promise<SessionRecord | { reason: string }> {
  let value: unknown;
  try {
    const doc = await store.get(SESSIONS_CORPUS, SESSIONS_COLLECTION, id);
    if (!doc) return { reason: 'removed while being read' };
    value = doc.value;
  } catch (err) {
    // A document that does not read (corrupt JSON, too large) is skipped; a store that fails is not.
    if (err instanceof StoreError && (err.code === 'corrupt' || err.code === 'too-large' || err.code === 'invalid-name')) return { reason: err.message };
    throw err;
  }
  try {
    const record = parseSessionRecord(value);
    if (id !== `${prefix}${record.sessionId}`) return { reason: `holds session ${record.sessionId}, not the one its id names` };
    return record;
  } catch (err) {
    return { reason: (err as Error).message };
  }
}
