import type { JsonValue } from '../../runtime/index.ts';
import { canonicalJson, type StoreBackend, type StoredDocument } from '../../runtime/store/index.ts';
import { Collections, REGISTRY_CORPUS, type DocumentKind, type RegistryDocument } from './documents.ts';
import { RegistryError } from './errors.ts';
import { listAll } from './list-all.ts';
import { sourceDifferences } from './source-diff.ts';

export type ChangeAction = 'create' | 'change' | 'unchanged' | 'remove';

/** What publishing one document does to the store. */
export interface Change {
  readonly action: ChangeAction;
  readonly kind: DocumentKind;
  readonly corpus: string;
  readonly collection: string;
  readonly id: string;
  /** The value written (absent for a removal). */
  readonly value?: JsonValue;
  /** The stored document it replaces or removes. */
  readonly before?: StoredDocument;
}

const key = (d: { corpus: string; collection: string; id: string }) => `${d.corpus}/${d.collection}/${d.id}`;

/**
 * Compares what publishing `docs` (the documents of `programs`) would write with what `store` holds:
 * each document is created, changed or unchanged (same canonical bytes), a schema whose package@version
 * is stored with another content hash is drift, and the generated files and topics a program published
 * before and no longer has are removed. Reads only; throws `RegistryError('drift')` naming every
 * drifted package, so that nothing is written when any is.
 */
export async function planPublish(store: StoreBackend, docs: readonly RegistryDocument[], programs: readonly string[]): Promise<Change[]> {
  const wanted = new Map<string, RegistryDocument>();
  for (const doc of docs) {
    const prior = wanted.get(key(doc));
    // Two jobs compiling one package give one schema document; other kinds are one job's own.
    if (prior && canonicalJson(prior.value) !== canonicalJson(doc.value))
      throw new RegistryError(
        'drift',
        `${key(doc)}: two generate jobs publish it with different content`,
        doc.kind === 'schema' ? 'the jobs compile different files under one package@version: give one of them another version' : undefined,
      );
    wanted.set(key(doc), doc);
  }
  const changes: Change[] = [];
  const drift: string[] = [];
  for (const doc of wanted.values()) {
    const before = await store.get(doc.corpus, doc.collection, doc.id);
    const base = { kind: doc.kind, corpus: doc.corpus, collection: doc.collection, id: doc.id, value: doc.value };
    if (!before) changes.push({ ...base, action: 'create' });
    else if (doc.kind === 'schema') {
      const problem = schemaDrift(before, doc);
      if (problem) drift.push(problem);
      // The same hash is the same package: a stored copy laid out differently stays as it is.
      else changes.push({ ...base, action: 'unchanged', before });
    } else changes.push({ ...base, action: canonicalJson(before.value) === canonicalJson(doc.value) ? 'unchanged' : 'change', before });
  }
  if (drift.length > 0)
    throw new RegistryError(
      'drift',
      `refusing to publish: ${drift.length === 1 ? 'a package is' : `${drift.length} packages are`} already published under the same version with other content\n${drift.join('\n')}`,
      'bump the `version` of each package named (a published version never changes), then publish again',
    );
  for (const program of programs) changes.push(...(await removals(store, program, wanted)));
  return changes;
}

function schemaDrift(before: StoredDocument, doc: RegistryDocument): string | undefined {
  const stored = before.value;
  const local = doc.value as { contentHash: string; sources: Record<string, string> };
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored) || typeof stored['contentHash'] !== 'string')
    throw new RegistryError('corrupt', `${key(doc)}: the stored schema document has no contentHash string`);
  if (stored['contentHash'] === local.contentHash) return undefined;
  const storedSources = stored['sources'];
  const lines = [`  ${doc.id}: stored content hash ${stored['contentHash']}, local ${local.contentHash}`];
  if (storedSources !== null && typeof storedSources === 'object' && !Array.isArray(storedSources))
    for (const line of sourceDifferences(storedSources, local.sources)) lines.push(`    ${line}`);
  return lines.join('\n');
}

/** The documents of `program` the store holds that this publish no longer writes. */
async function removals(store: StoreBackend, program: string, wanted: ReadonlyMap<string, RegistryDocument>): Promise<Change[]> {
  const out: Change[] = [];
  for (const id of await listAll(store, REGISTRY_CORPUS, Collections.generated, `${program}/`)) {
    const doc = { corpus: REGISTRY_CORPUS, collection: Collections.generated, id };
    if (wanted.has(key(doc))) continue;
    const before = await store.get(doc.corpus, doc.collection, id);
    if (before) out.push({ ...doc, kind: 'generated', action: 'remove', before });
  }
  for (const id of await listAll(store, REGISTRY_CORPUS, Collections.topics)) {
    const doc = { corpus: REGISTRY_CORPUS, collection: Collections.topics, id };
    if (wanted.has(key(doc))) continue;
    // Another program's topic is its own business.
    const before = await store.get(doc.corpus, doc.collection, id);
    const owner = before?.value !== null && typeof before?.value === 'object' && !Array.isArray(before.value) ? before.value['program'] : undefined;
    if (before && owner === program) out.push({ ...doc, kind: 'topic', action: 'remove', before });
  }
  return out;
}

/** The order writes go in: every document a manifest names before the manifest, removals last. */
const WRITE_ORDER: readonly DocumentKind[] = ['schema', 'generated', 'topic', 'facts', 'agent-facts', 'program'];

/**
 * Writes the created and changed documents, each only if the store still holds what the plan read
 * (`ifVersion`), so that a concurrent publisher makes this one fail with `conflict` instead of being
 * overwritten; then removes what the program no longer has. Unchanged documents are not touched.
 */
export async function applyPublish(store: StoreBackend, changes: readonly Change[]): Promise<void> {
  for (const kind of WRITE_ORDER)
    for (const c of changes)
      if (c.kind === kind && (c.action === 'create' || c.action === 'change'))
        await store.put(c.corpus, c.collection, c.id, c.value!, { ifVersion: c.before?.version ?? null });
  for (const c of changes) if (c.action === 'remove') await store.delete(c.corpus, c.collection, c.id, { ifVersion: c.before!.version });
}
