import { MIDL_VERSION } from '../../compiler/index.ts';
import type { JsonValue } from '../../runtime/index.ts';
import { checkStoreId, StoreError } from '../../runtime/store/index.ts';
import type { CompiledJob, PackageSource } from './compile-jobs.ts';
import { CONTENT_HASH_RULE, fileSetHash, textHash } from './content-hash.ts';
import { RegistryError } from './errors.ts';

/** Where midl keeps its registry in a store (docs/registry.md): corpus `midl`, one collection per kind. */
export const REGISTRY_CORPUS = 'midl';
export const Collections = {
  schemas: 'schemas',
  programs: 'programs',
  generated: 'generated',
  topics: 'topics',
  facts: 'facts',
} as const;
/** FountainKit's facts seed: `agents/agent-facts/facts:agent:<agentId>`, read by its store-apply-seed. */
export const AGENT_CORPUS = 'agents';
export const AGENT_FACTS_COLLECTION = 'agent-facts';

export type DocumentKind = 'schema' | 'program' | 'generated' | 'topic' | 'facts' | 'agent-facts';

/** One document `midl publish` writes. */
export interface RegistryDocument {
  readonly kind: DocumentKind;
  readonly corpus: string;
  readonly collection: string;
  readonly id: string;
  readonly value: JsonValue;
}

/** A program name the registry can hold: it is part of ids and of FountainKit's agent id. */
const PROGRAM_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function checkProgramName(program: string): void {
  if (!PROGRAM_NAME.test(program) || program === '.' || program === '..')
    throw new RegistryError(
      'invalid-name',
      `program name ${JSON.stringify(program)} cannot name registry documents: 1–64 of A–Z a–z 0–9 . _ -`,
      'publish the generate jobs of a midl.yaml (each job has a name), or give --program NAME',
    );
}

export const schemaId = (pkg: string, version: string): string => `${pkg}@${version}`;
export const generatedId = (program: string, path: string): string => `${program}/${path}`;
/** FountainKit agent ids are `fountain.coach/agent/<name>/<role>` (its agent-descriptor schema). */
export const agentIdOf = (program: string): string => `fountain.coach/agent/${program}/midl`;
export const agentFactsId = (program: string): string => `facts:agent:${agentIdOf(program)}`;

export function schemaDocument(pkg: PackageSource): RegistryDocument {
  return {
    kind: 'schema',
    corpus: REGISTRY_CORPUS,
    collection: Collections.schemas,
    id: schemaId(pkg.name, pkg.version),
    value: { package: pkg.name, version: pkg.version, contentHash: pkg.contentHash, hashRule: CONTENT_HASH_RULE, sources: { ...pkg.sources } },
  };
}

/**
 * Every document of one compiled job: its packages, its generated files (one document each, so that no
 * document grows with the program) and the manifest that names them with their hashes, and, for a job
 * that defines a bus (the `registry` target), its topics and its facts in midl's and FountainKit's form.
 */
export function jobDocuments(job: CompiledJob): RegistryDocument[] {
  checkProgramName(job.program);
  const docs: RegistryDocument[] = job.packages.map(schemaDocument);
  const files: Record<string, string> = {};
  for (const f of job.files) {
    files[f.path] = f.content;
    docs.push({
      kind: 'generated',
      corpus: REGISTRY_CORPUS,
      collection: Collections.generated,
      id: checkedId(generatedId(job.program, f.path), `generated file ${f.path}`),
      value: { program: job.program, path: f.path, content: f.content },
    });
  }
  docs.push({
    kind: 'program',
    corpus: REGISTRY_CORPUS,
    collection: Collections.programs,
    id: job.program,
    value: {
      program: job.program,
      generator: `midl ${MIDL_VERSION}`,
      output: job.output,
      targets: [...job.targets],
      packages: Object.fromEntries(job.packages.map((p) => [p.name, p.version])),
      files: Object.fromEntries(Object.entries(files).map(([path, content]) => [path, textHash(content)])),
      filesHash: fileSetHash(files),
    },
  });
  if (job.targets.includes('registry')) docs.push(...topicDocuments(job));
  const facts = job.files.find((f) => f.path === 'facts/facts.json');
  const fountain = job.files.find((f) => f.path === 'facts/fountain-pe.json');
  if (facts)
    docs.push({ kind: 'facts', corpus: REGISTRY_CORPUS, collection: Collections.facts, id: job.program, value: JSON.parse(facts.content) as JsonValue });
  if (fountain)
    docs.push({
      kind: 'agent-facts',
      corpus: AGENT_CORPUS,
      collection: AGENT_FACTS_COLLECTION,
      id: agentFactsId(job.program),
      value: JSON.parse(fountain.content) as JsonValue,
    });
  return docs;
}

function topicDocuments(job: CompiledJob): RegistryDocument[] {
  const bits = new Map(job.ir.capabilities.map((c) => [c.name, c.bit]));
  const capabilitySet = (names: readonly string[]) => {
    let mask = 0n;
    for (const name of names) mask |= 1n << BigInt(bits.get(name) ?? 0);
    return { names: [...names], mask: `0x${mask.toString(16).padStart(16, '0')}` };
  };
  return job.ir.topics.map((t) => ({
    kind: 'topic' as const,
    corpus: REGISTRY_CORPUS,
    collection: Collections.topics,
    id: checkedId(t.address, `topic ${t.address}`),
    value: {
      address: t.address,
      id: t.id,
      program: job.program,
      package: t.package,
      version: t.version,
      params: [...t.params],
      payload: t.payload,
      reply: t.reply ?? null,
      responseTopic: t.reply === undefined ? null : `${t.address}/reply/{corr}`,
      errors: t.errors ?? null,
      qos: t.qos,
      capabilities: { publish: capabilitySet(t.publish), subscribe: capabilitySet(t.subscribe) },
      budget: { latencyUs: t.budget.latencyUs ?? null, jitterUs: t.budget.jitterUs ?? null },
      lane: t.lane,
      maxPayload: t.maxPayload,
      stream: t.stream,
    },
  }));
}

/** An id the store can hold, or a registry error naming what it was for. */
function checkedId(id: string, what: string): string {
  try {
    checkStoreId(id);
  } catch (err) {
    if (err instanceof StoreError) throw new RegistryError('invalid-name', `${what}: no store can hold the id ${JSON.stringify(id)}: ${err.message}`);
    throw err;
  }
  return id;
}
