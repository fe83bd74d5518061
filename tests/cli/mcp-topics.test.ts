import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TopicResources } from '../../cli/operator/mcp-topics.ts';
import { topics } from '../../generated/index.ts';
import { ALL_CAPABILITIES, LoopbackHub, type AnyTopicDescriptor } from '../../runtime/index.ts';
import { McpUnknownName, type McpResource, type McpResourceTemplate } from '../../services/mcp/server.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { repoPath } from '../helpers/repo.ts';

/**
 * Report topics read as MCP resources (`midl mcp`), on an in-process bus with the repository schema:
 * watching starts at the first read, the buffer and the number of watched addresses are bounded.
 */

const busErrors = collectBusErrors();
const projection = JSON.parse(readFileSync(repoPath('generated/facts/mcp.json'), 'utf8')) as {
  resources: McpResource[];
  resourceTemplates: McpResourceTemplate[];
};
const schema = { topics: Object.values(topics) as readonly AnyTopicDescriptor[] };
const jitter = topics['telemetry/jitter'] as AnyTopicDescriptor;
const results = topics['gpu/job.result/{corr}'] as AnyTopicDescriptor;

function setup(limits: { messages?: number; addresses?: number } = {}) {
  const warnings: string[] = [];
  const resources = new TopicResources(schema, projection.resources, projection.resourceTemplates, (e, a) => warnings.push(`${a}: ${String(e)}`), limits);
  const hub = new LoopbackHub({ onError: busErrors.for('hub') });
  return { resources, warnings, hub, reader: hub.connect({ capabilities: ALL_CAPABILITIES }), writer: hub.connect({ capabilities: ALL_CAPABILITIES }) };
}

type Watched = { address: string; received: number; messages: { address: string; publishedAt: string; value: { [k: string]: unknown } }[] };
const body = (contents: readonly object[]): Watched => JSON.parse((contents[0] as { text: string }).text) as Watched;

describe('midl mcp topic resources', () => {
  it('lists the report topics of the projection, filtered by the subscribe capabilities granted', () => {
    const { resources } = setup();
    expect(resources.listed(undefined)).toEqual({ resources: projection.resources, resourceTemplates: projection.resourceTemplates });
    const none = resources.listed(0n);
    expect(none.resources.length).toBeLessThan(projection.resources.length);
    expect(resources.listed(jitter.subscribe).resources.map((r) => r.uri)).toContain('midl://telemetry/jitter');
  });

  it('the first read starts watching and is empty; later reads give the latest messages, oldest first, bounded', async () => {
    const { resources, reader, writer, hub, warnings } = setup({ messages: 4 });
    expect(body(await resources.read('midl://telemetry/jitter', reader, 1000))).toMatchObject({ address: 'telemetry/jitter', received: 0, messages: [] });
    for (let i = 0; i < 6; i++) await writer.publish(jitter, { ...jitter.payload.example(), samples: i + 1 });
    await hub.drain();
    const read = body(await resources.read('midl://telemetry/jitter', reader, 1000));
    expect(read.received).toBe(6);
    expect(read.messages.map((m) => m.value['samples'])).toEqual([3, 4, 5, 6]);
    expect(read.messages[0]!.publishedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(warnings).toEqual([]);
  });

  it('a template is read at a concrete address: only that address is watched', async () => {
    const { resources, reader, writer, hub } = setup();
    expect(projection.resourceTemplates.map((t) => t.uriTemplate)).toContain('midl://gpu/job.result/{corr}');
    await resources.read('midl://gpu/job.result/42', reader, 1000);
    await writer.publish(results, results.payload.example(), { params: { corr: '42' } });
    await writer.publish(results, results.payload.example(), { params: { corr: '43' } });
    await hub.drain();
    const read = body(await resources.read('midl://gpu/job.result/42', reader, 1000));
    expect(read.messages.map((m) => m.address)).toEqual(['gpu/job.result/42']);
  });

  it('unknown addresses are refused as unknown names; past the limit the least recently read address stops being watched', async () => {
    const { resources, reader, writer, hub } = setup({ addresses: 2 });
    await expect(resources.read('midl://no/such', reader, 1000)).rejects.toBeInstanceOf(McpUnknownName);
    await expect(resources.read('midl://gpu/job.dispatch', reader, 1000)).rejects.toBeInstanceOf(McpUnknownName);
    await resources.read('midl://gpu/job.result/1', reader, 1000);
    await resources.read('midl://gpu/job.result/2', reader, 1000);
    await resources.read('midl://gpu/job.result/1', reader, 1000); // 2 is now the least recently read
    await resources.read('midl://gpu/job.result/3', reader, 1000);
    for (const corr of ['1', '2', '3']) await writer.publish(results, results.payload.example(), { params: { corr } });
    await hub.drain();
    expect(body(await resources.read('midl://gpu/job.result/1', reader, 1000)).received).toBe(1);
    // 2 was evicted: reading it again starts a new watch, which saw nothing.
    expect(body(await resources.read('midl://gpu/job.result/2', reader, 1000)).received).toBe(0);
  });

  it('a read on another bus (a new session) starts over; clear() stops every watch', async () => {
    const { resources, reader, writer, hub } = setup();
    await resources.read('midl://telemetry/jitter', reader, 1000);
    await writer.publish(jitter, jitter.payload.example());
    await hub.drain();
    const other = hub.connect({ capabilities: ALL_CAPABILITIES });
    expect(body(await resources.read('midl://telemetry/jitter', other, 1000)).received).toBe(0);
    resources.clear();
    await writer.publish(jitter, jitter.payload.example());
    await hub.drain();
    expect(body(await resources.read('midl://telemetry/jitter', other, 1000)).received).toBe(0);
  });
});
