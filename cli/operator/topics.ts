/**
 * Names on the command line resolved against a loaded schema: capability lists and topic addresses.
 */
import {
  compilePattern,
  matchAddress,
  type AnyTopicDescriptor,
  type DeliveryReportValue,
  type LinkReportValue,
  type JitterReportValue,
  type NetworkTelemetryOptions,
} from '../../runtime/index.ts';
import { UsageError } from '../exit.ts';
import type { LoadedSchema } from '../schema-runtime.ts';

/** The mask of a comma-separated list of capability names, from a schema's `capabilities` (name → mask). */
export function capabilityMask(capabilities: Readonly<Record<string, { readonly mask: bigint }>>, list: string): bigint {
  let mask = 0n;
  for (const name of list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const info = capabilities[name];
    if (!info) {
      const known = Object.keys(capabilities);
      throw new UsageError(`unknown capability '${name}' (the schema has ${known.length === 0 ? 'none' : known.join(', ')})`);
    }
    mask |= info.mask;
  }
  return mask;
}

export interface ResolvedTopic {
  readonly topic: AnyTopicDescriptor;
  /** Values of the address parameters, as written in the address. */
  readonly params: Readonly<Record<string, string>>;
  /** The concrete address. */
  readonly address: string;
}

/**
 * The topic a concrete address (`gpu/job.result/42`) belongs to, or the topic of a template without
 * parameters (`gpu/job.dispatch`). Where several templates match, the one with more literal segments
 * wins (`a/b` over `a/{x}`), as a reader of the schema would expect.
 */
export function resolveTopic(schema: LoadedSchema, address: string): ResolvedTopic {
  const exact = schema.topics.find((t) => t.address === address);
  if (exact && exact.params.length > 0) {
    throw new UsageError(`topic ${address} has parameters (${exact.params.join(', ')}): give a concrete address, e.g. ${exampleAddress(exact.address)}`);
  }
  if (exact) return { topic: exact, params: {}, address };
  let best: { r: ResolvedTopic; literals: number } | undefined;
  for (const topic of schema.topics) {
    const pattern = compilePattern(topic.address);
    const params = matchAddress(pattern, address);
    if (!params) continue;
    const literals = pattern.segments.filter((s) => s.kind === 'literal').length;
    if (!best || literals > best.literals) best = { r: { topic, params: { ...params }, address }, literals };
  }
  if (best) return best.r;
  const near = schema.topics.filter((t) => t.address.split('/')[0] === address.split('/')[0]).map((t) => t.address);
  throw new UsageError(
    `no topic of the schema has the address ${address}${near.length > 0 ? ` (topics under ${address.split('/')[0]}/: ${near.join(', ')})` : ''}`,
  );
}

const exampleAddress = (template: string): string => template.replace(/\{[^}]+\}/g, '1');

/** The report topics `midl peer --telemetry` (and `midl stream`'s) publishes on: `telemetry/jitter`, `telemetry/delivery` and `telemetry/link`, those the schema has with report payloads. */
export function telemetryTopics(schema: Pick<LoadedSchema, 'topics'>): NetworkTelemetryOptions {
  // Reports as the bus builds them (typed as the runtime's generated report types, so they follow idl/telemetry).
  const window = { peer: 'p', topic: 't', topicId: 1, at: new Date(0), window: 1 };
  const jitterReport: JitterReportValue = { ...window, samples: 1, latencyP50: 1, latencyP99: 1, latencyMax: 1, jitterP95: 0, overBudget: 0 };
  const deliveryReport: DeliveryReportValue = { ...window, sent: 0n, received: 0n, dropped: 0n, retried: 0n, duplicates: 0n, quarantined: 0n };
  const linkCounts = { bytesSent: 0n, bytesReceived: 0n, acksSent: 0n, acksReceived: 0n, nacksSent: 0n, nacksReceived: 0n, retransmits: 0n, gaps: 0n };
  const linkReport: LinkReportValue = { peer: 'p', remote: 'r', sessionId: 1, at: new Date(0), window: 1, ...linkCounts, reorderDepthMax: 0 };
  const fits = (topic: AnyTopicDescriptor | undefined, value: object): boolean =>
    topic !== undefined && topic.params.length === 0 && topic.payload.validate(value).ok;
  const jitter = schema.topics.find((t) => t.address === 'telemetry/jitter');
  const delivery = schema.topics.find((t) => t.address === 'telemetry/delivery');
  const link = schema.topics.find((t) => t.address === 'telemetry/link');
  const out = {
    ...(fits(link, linkReport) ? { link } : {}),
    ...(fits(jitter, jitterReport) ? { jitter } : {}),
    ...(fits(delivery, deliveryReport) ? { delivery } : {}),
  };
  if (!out.jitter && !out.delivery) {
    throw new UsageError('--telemetry: the schema has no telemetry/jitter or telemetry/delivery topic whose payload is a report (as in idl/telemetry)');
  }
  return out as NetworkTelemetryOptions;
}
