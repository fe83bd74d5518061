/**
 * What `midl peer` serves over MIDI-CI Property Exchange (docs/midi-ci.md § Responder): the schema as
 * `midl publish` records it (each package's schema document: canonical sources and their content hash),
 * the facts in FountainKit's PE shape, and the SSE transport figures. Compiled the way `midl publish`
 * compiles (cli/registry), so the hash a client reads is the one in the registry.
 */
import { MIDL_VERSION } from '../../compiler/index.ts';
import { CiResponder, sseTransportResource, type CiResponderOptions } from '../../runtime/index.ts';
import { MAX_DATAGRAM_BYTES } from '../../runtime/transports/index.ts';
import { compileJobs, namedPlan } from '../registry/compile-jobs.ts';
import { CONTENT_HASH_RULE } from '../registry/content-hash.ts';
import { schemaDocument } from '../registry/documents.ts';
import { planFor } from '../schema-runtime.ts';

export interface CiResources {
  readonly 'X-MidlSchema': string;
  readonly 'X-MidlFacts': string;
}

/** The PE resources of the schema at `schemaPath` (as `midl peer --schema` takes it); undefined when it does not compile (printed). */
export async function ciResources(schemaPath: string | undefined): Promise<CiResources | undefined> {
  const paths = schemaPath === undefined || /\.ya?ml$/i.test(schemaPath) ? [] : [schemaPath];
  const jobs = await compileJobs(namedPlan(planFor(schemaPath), paths), { targets: ['facts'] });
  if (!jobs) return undefined;
  const programs = jobs.map((job) => ({ program: job.program, packages: job.packages.map((pkg) => schemaDocument(pkg).value) }));
  // FountainKit reads one facts document: the function blocks of every program, in job order.
  const functionBlocks = jobs.flatMap((job) => {
    const file = job.files.find((f) => f.path === 'facts/fountain-pe.json');
    return file ? ((JSON.parse(file.content) as { functionBlocks?: unknown[] }).functionBlocks ?? []) : [];
  });
  return {
    'X-MidlSchema': JSON.stringify({ generator: `midl ${MIDL_VERSION}`, hashRule: CONTENT_HASH_RULE, programs }),
    'X-MidlFacts': JSON.stringify({ protocol: 'midi-ci-pe', functionBlocks }),
  };
}

/** midl's version as a Discovery software revision: major, minor, patch (7 bits each), 0. */
export function softwareRevision(): readonly [number, number, number, number] {
  const [major = 0, minor = 0, patch = 0] = MIDL_VERSION.split(/[.+-]/).map((p) => Number.parseInt(p, 10) & 0x7f);
  return [major, minor, patch, 0];
}

/** The responder of a peer named `name` serving `resources`, and `X-SseTransport` for a bus taking payloads up to `maxPayload` bytes. */
export function peerResponder(name: string, resources: CiResources, maxPayload: number, extra: Partial<CiResponderOptions> = {}): CiResponder {
  // Endpoint Info's product instance id is at most 16 ASCII characters: the node name when it fits.
  const instance = /^[\x20-\x7e]{1,16}$/.test(name) ? name : undefined;
  return new CiResponder({
    softwareRevision: softwareRevision(),
    ...(instance ? { productInstanceId: instance } : {}),
    resources: {
      ...resources,
      // Network MIDI 2.0's datagram size: the transport every peer listens on.
      'X-SseTransport': JSON.stringify(sseTransportResource({ maxPayload, mtu: MAX_DATAGRAM_BYTES })),
    },
    ...extra,
  });
}
