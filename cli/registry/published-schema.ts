import { canonicalJson, type StoreBackend } from '../../runtime/store/index.ts';
import type { JsonValue } from '../../runtime/index.ts';
import type { CompiledJob } from './compile-jobs.ts';
import { Collections, REGISTRY_CORPUS, schemaId } from './documents.ts';
import { RegistryError } from './errors.ts';

const HELP = "run 'midl publish' with this schema (and the same midl.lock) to publish it, or serve the schema that is published";

/**
 * Whether the store holds exactly the schema `jobs` were compiled from: every package@version with the
 * local content hash, and each program's facts as this schema generates them. Throws
 * `RegistryError('missing')` naming what the store lacks or `RegistryError('mismatch')` naming what
 * differs, both with a `help:` to publish; resolves when everything matches.
 */
export async function checkPublishedSchema(store: StoreBackend, jobs: readonly CompiledJob[]): Promise<void> {
  const missing: string[] = [];
  const mismatched: string[] = [];
  for (const job of jobs) {
    for (const pkg of job.packages) {
      const id = schemaId(pkg.name, pkg.version);
      const stored = await store.get(REGISTRY_CORPUS, Collections.schemas, id);
      const hash = stored && isObject(stored.value) ? stored.value['contentHash'] : undefined;
      if (!stored) missing.push(`schema ${id}`);
      else if (hash !== pkg.contentHash)
        mismatched.push(`schema ${id}: stored content hash ${typeof hash === 'string' ? hash : '(none)'}, this schema's ${pkg.contentHash}`);
    }
    const facts = job.files.find((f) => f.path === 'facts/facts.json');
    if (!facts) continue;
    const stored = await store.get(REGISTRY_CORPUS, Collections.facts, job.program);
    if (!stored) missing.push(`facts of ${job.program}`);
    else if (canonicalJson(stored.value) !== canonicalJson(JSON.parse(facts.content) as JsonValue))
      mismatched.push(`facts of ${job.program}: the stored document differs from what this schema generates`);
  }
  const where = store.description;
  if (missing.length > 0)
    throw new RegistryError(
      'missing',
      `${where} lacks what this peer serves: ${missing.join('; ')}${mismatched.length ? `; and ${mismatched.join('; ')}` : ''}`,
      HELP,
    );
  if (mismatched.length > 0) throw new RegistryError('mismatch', `${where} holds another schema than this peer serves: ${mismatched.join('; ')}`, HELP);
}

const isObject = (v: JsonValue): v is { readonly [key: string]: JsonValue } => v !== null && typeof v === 'object' && !Array.isArray(v);
