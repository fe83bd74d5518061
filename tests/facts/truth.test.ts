/**
 * The facts say what the bus does: capability wording follows the bus's rule (holding any one of a
 * topic's capabilities is enough, runtime/bus/capabilities.ts `maskAllows`), and topics that only report
 * are offered as subscriptions, never as callable tools.
 */
import { ResourceSchema, ResourceTemplateSchema, ToolSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { emitReadme } from '../../compiler/emitters/docs/index.ts';
import { anthropicTools, fountainPe, mcpTools, openaiTools } from '../../compiler/emitters/facts/projections.ts';
import { maskAllows } from '../../runtime/bus/capabilities.ts';
import type { JsonValue } from '../../runtime/index.ts';
import { factsOf, programOfDir, programOfText } from './helpers.ts';
import { repoPath } from '../helpers/repo.ts';

type Json = { [k: string]: JsonValue };

const CAPS = `package studio.caps;
version "1.0.0";

capability a.one;
capability a.two;
capability a.three;
capability b.one;

struct P {
  x: u8 @1;
}

topic caps/many {
  payload: P;
  publish: a.one, a.two, a.three;
  subscribe: b.one;
}

topic caps/two {
  payload: P;
  subscribe: a.one, a.two;
}
`;

describe('capability wording', () => {
  it('says that any one of the listed capabilities is enough, as the bus enforces', () => {
    // The rule the wording must state: one granted bit of the topic's mask admits the session.
    expect(maskAllows(0b010n, 0b111n)).toBe(true);
    const { ir } = programOfText(CAPS);
    const tools = factsOf(ir).tools;
    const many = tools.find((t) => t.topic === 'caps/many')!.description;
    const two = tools.find((t) => t.topic === 'caps/two')!.description;
    expect(many).toContain('Capabilities: publishing needs any one of a.one, a.three or a.two; subscribing needs b.one.');
    expect(two).toContain('Capabilities: publishing needs none; subscribing needs any one of a.one or a.two.');
    for (const d of [many, two]) expect(d).not.toMatch(/ and a\./);
  });

  it('reads the same in the generated README', () => {
    const { ir } = programOfText(CAPS);
    const readme = emitReadme(ir)
      .map((f) => f.content)
      .join('\n');
    expect(readme).toMatch(/\| publish needs \| any one of \[a\.one\]\([^)]*\), \[a\.three\]\([^)]*\) or \[a\.two\]\([^)]*\) \|/);
    expect(readme).toMatch(/\| subscribe needs \| \[b\.one\]\([^)]*\) \|/);
  });
});

const ROLES = `package studio.jobs;
version "1.0.0";

struct Job {
  n: u8 @1;
}

struct Accepted {
  ok: bool @1;
}

/// Starts a job; answers at once.
topic job/start {
  payload: Job;
  reply: Accepted;
}

/// Results of a job, many per job, under its correlation id.
topic job/result/{corr} {
  payload: Job;
  stream: true;
}

/// Counters the runtime reports.
topic job/stats {
  payload: Job;
  readOnly: true;
}

/// Fire and forget: a command with no reply is still a call.
topic job/poke {
  payload: Job;
}

/// A stream that answers each message is a call.
topic job/feed {
  payload: Job;
  reply: Accepted;
  stream: true;
}
`;

const CALLS = ['job__feed', 'job__poke', 'job__start'];
const REPORTS = ['job__result__corr', 'job__stats'];

describe('topics that only report', () => {
  const doc = factsOf(programOfText(ROLES).ir);
  const toolNames = (list: readonly JsonValue[]) => list.map((t) => ((t as Json)['function'] as Json | undefined)?.['name'] ?? (t as Json)['name']);

  it('are marked in the neutral facts, from the IR: no reply, and a stream or readOnly', () => {
    expect(doc.tools.filter((t) => t.callable).map((t) => t.name)).toEqual(CALLS);
    expect(doc.tools.filter((t) => !t.callable).map((t) => t.name)).toEqual(REPORTS);
    const stats = doc.tools.find((t) => t.name === 'job__stats')!.description;
    expect(stats).toContain('Reports only: subscribe to receive its messages; it is not a call.');
    expect(doc.tools.find((t) => t.name === 'job__start')!.description).not.toContain('Reports only');
  });

  it('are not callable tools for OpenAI, Anthropic or MCP', () => {
    expect(toolNames(openaiTools(doc))).toEqual(CALLS);
    expect(toolNames(anthropicTools(doc))).toEqual(CALLS);
    const mcp = mcpTools(doc);
    expect(toolNames(mcp.tools)).toEqual(CALLS);
    for (const tool of mcp.tools) expect(ToolSchema.parse(tool)).toEqual(tool);
  });

  it('are MCP resources (templates where the address has parameters) one subscribes to', () => {
    const mcp = mcpTools(doc);
    expect(mcp.resources.map((r) => (r as Json)['name'])).toEqual(['job__stats']);
    expect(mcp.resourceTemplates.map((r) => (r as Json)['name'])).toEqual(['job__result__corr']);
    for (const r of mcp.resources) expect(ResourceSchema.parse(r)).toEqual(r);
    for (const r of mcp.resourceTemplates) expect(ResourceTemplateSchema.parse(r)).toEqual(r);
    expect((mcp.resources[0] as Json)['uri']).toBe('midl://job/stats');
    expect((mcp.resourceTemplates[0] as Json)['uriTemplate']).toBe('midl://job/result/{corr}');
    expect(((mcp.resourceTemplates[0] as Json)['_meta'] as Json)['midl/topic']).toBe('job/result/{corr}');
  });

  it('are readable, notifying and not writable FountainKit properties', () => {
    const pe = fountainPe(doc) as { functionBlocks: { properties: Json[] }[] };
    const props = new Map(pe.functionBlocks[0]!.properties.map((p) => [(p['x-midl'] as Json)['tool'], p]));
    for (const name of REPORTS) {
      const p = props.get(name)!;
      expect(p['writable'], name).toBe(false);
      expect(p['readable'], name).toBe(true);
      expect((p['notify'] as Json[])[0]!['on']).toBe(doc.tools.find((t) => t.name === name)!.topic);
    }
    for (const name of CALLS) expect(props.get(name)!['writable'], name).toBe(true);
  });

  it("include the repository's result streams (gpu/job.result/{corr} is no tool)", () => {
    const idl = factsOf(programOfDir(repoPath('idl'), 'idl').ir);
    const offered = toolNames(openaiTools(idl));
    for (const report of ['gpu__job_result__corr', 'gpu__buffer_data__corr', 'llm__tool_result__corr', 'telemetry__jitter'])
      expect(offered).not.toContain(report);
    for (const call of ['gpu__job_dispatch', 'llm__tool_invoke', 'session__heartbeat', 'flex__envelope']) expect(offered).toContain(call);
  });
});
