/**
 * Every projection of every repository schema (idl/, each examples/ directory) and synthetic case: MCP tools pass the
 * MCP SDK's own ToolSchema, names fit all hosts, OpenAI tools satisfy strict mode, examples validate
 * against the schemas they illustrate, annotations come only from stated hints, and the FountainKit
 * facts have the midi-ci-pe shape.
 */
import { ResourceSchema, ResourceTemplateSchema, ToolSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../runtime/codec/codec.ts';
import { FACTS_FILES } from '../../compiler/emitters/facts/index.ts';
import { MAX_DESCRIPTION, type FactsDocument } from '../../compiler/emitters/facts/model.ts';
import { fromStrictArguments, openaiToolProblems, TOOL_NAME, toStrictArguments } from '../../compiler/emitters/facts/openai.ts';
import { allPrograms, emitted, fileOf, newAjv, type Program } from './helpers.ts';

type Json = { [k: string]: JsonValue };

interface Projected {
  readonly program: Program;
  readonly facts: FactsDocument & { tools: readonly Json[] };
  readonly openai: Json[];
  readonly anthropic: Json[];
  readonly mcp: { tools: Json[]; resources: Json[]; resourceTemplates: Json[] };
  readonly pe: { protocol: string; functionBlocks: { name: string; group: number; properties: Json[] }[] };
}

const projected: Projected[] = allPrograms().map((program) => {
  const files = emitted(program.ir);
  const read = (p: string): unknown => JSON.parse(fileOf(files, p));
  // The emitted files, typed as the facts emitters document them.
  return {
    program,
    facts: read('facts/facts.json'),
    openai: read('facts/openai.json'),
    anthropic: read('facts/anthropic.json'),
    mcp: read('facts/mcp.json'),
    pe: read('facts/fountain-pe.json'),
  } as Projected;
});

const toolCases = projected.flatMap((p) => p.facts.tools.map((t) => ({ label: `${p.program.label} ${t.name}`, p, name: t.name })));

const byName = <T extends Json>(list: readonly T[], name: string, key: (t: T) => unknown = (t) => t['name']): T => {
  const found = list.find((t) => key(t) === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
};

describe('facts projections', () => {
  it('covers topics and intents of every repository schema', () => {
    expect(projected.map((p) => p.program.label)).toContain('idl');
    for (const p of projected) {
      expect(p.facts.tools.length, p.program.label).toBe(p.program.ir.topics.length + p.program.ir.intents.length);
      const calls = p.facts.tools.filter((t) => t.callable).map((t) => t.name);
      for (const list of [p.openai, p.anthropic, p.mcp.tools])
        expect(list.map((t) => (t['function'] as Json | undefined)?.['name'] ?? t['name'])).toEqual(calls);
      // Topics that only report are MCP resources instead: every entry is offered exactly once.
      const reports = p.facts.tools.filter((t) => !t.callable).map((t) => t.name);
      expect([...p.mcp.resources, ...p.mcp.resourceTemplates].map((r) => r['name']).sort()).toEqual([...reports].sort());
    }
    expect(toolCases.length).toBeGreaterThan(30);
  });

  it('writes exactly the documented files', () => {
    const files = emitted(projected[0]!.program.ir).map((f) => f.path);
    expect(files).toEqual([...FACTS_FILES, 'README.md']);
  });

  describe.each(toolCases)('$label', ({ p, name }) => {
    const fact = byName(p.facts.tools, name);

    const callable = fact['callable'] === true;
    // Where MCP offers the entry: a tool to call, or a resource (template) to subscribe to.
    const mcpEntry = () => (callable ? byName(p.mcp.tools, name) : byName([...p.mcp.resources, ...p.mcp.resourceTemplates], name));

    it('has a name every host accepts, taken from the IR', () => {
      expect(name).toMatch(TOOL_NAME);
      const fromIr = [...p.program.ir.topics, ...p.program.ir.intents].map((x) => x.toolName);
      expect(fromIr).toContain(name);
      expect(mcpEntry()['name']).toMatch(TOOL_NAME);
      if (callable) {
        expect(byName(p.anthropic, name)['name']).toMatch(TOOL_NAME);
        expect((byName(p.openai, name, (t) => (t['function'] as Json)['name'])['function'] as Json)['name']).toMatch(TOOL_NAME);
      }
    });

    it('passes the MCP SDK schema of what it is (Tool, Resource, ResourceTemplate) without losing a field', () => {
      const entry = mcpEntry();
      if (callable) {
        expect(ToolSchema.parse(entry)).toEqual(entry);
        expect(Object.keys(entry).every((k) => ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations', '_meta'].includes(k))).toBe(true);
      } else if (fact['params'] !== null && (fact['params'] as JsonValue[]).length > 0) {
        expect(ResourceTemplateSchema.parse(entry)).toEqual(entry);
      } else {
        expect(ResourceSchema.parse(entry)).toEqual(entry);
      }
    });

    it('sets MCP annotations from stated hints only, and midl metadata in _meta', () => {
      const tool = mcpEntry();
      const hints = fact['hints'] as Json;
      const expected: Json = {};
      if (hints['title'] !== undefined) expected['title'] = hints['title'];
      for (const [h, a] of [
        ['readOnly', 'readOnlyHint'],
        ['destructive', 'destructiveHint'],
        ['idempotent', 'idempotentHint'],
        ['openWorld', 'openWorldHint'],
      ] as const)
        if (hints[h] !== undefined) expected[a] = hints[h];
      // Tool annotations are tool hints; a resource has MCP's own kind of annotations, which midl does not set.
      expect(tool['annotations'] ?? {}).toEqual(callable ? expected : {});
      const meta = tool['_meta'] as Json;
      for (const key of Object.keys(meta)) expect(key).toMatch(/^midl\/[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/);
      if (fact['kind'] === 'topic') {
        expect(meta['midl/topic']).toBe(fact['topic']);
        expect(meta['midl/qos']).toBe(fact['qos']);
        expect(meta['midl/budget']).toEqual(fact['budget']);
        expect(meta['midl/capabilities']).toEqual(fact['capabilities']);
      } else {
        expect(meta['midl/intent']).toBe(fact['intent']);
        expect(meta['midl/http']).toEqual(fact['http']);
      }
      expect(tool['outputSchema'] !== undefined).toBe(callable && fact['reply'] !== null);
    });

    it('is an OpenAI strict-mode tool when callable, and absent from OpenAI and Anthropic when it only reports', () => {
      if (!callable) {
        expect(p.openai.some((t) => (t['function'] as Json)['name'] === name)).toBe(false);
        expect(p.anthropic.some((t) => t['name'] === name)).toBe(false);
        return;
      }
      const tool = byName(p.openai, name, (t) => (t['function'] as Json)['name']);
      expect(openaiToolProblems(tool)).toEqual([]);
      expect(Object.keys(tool['function'] as Json)).toEqual(['name', 'description', 'parameters', 'strict']);
    });

    it('has examples that validate against their schemas, in every form', () => {
      const input = fact['inputSchema'] as Json;
      const check = (schema: JsonValue, value: JsonValue, what: string) => {
        const validate = newAjv().compile(schema as object);
        expect(validate(value), `${what}: ${JSON.stringify(validate.errors)}`).toBe(true);
      };
      check(input, fact['example']!, 'facts example');
      check((fact['payload'] as Json)['schema']!, (fact['payload'] as Json)['example']!, 'payload example');
      if (fact['reply'] !== null) check((fact['reply'] as Json)['schema']!, (fact['reply'] as Json)['example']!, 'reply example');
      if (!callable) return;
      const anthropic = byName(p.anthropic, name);
      for (const ex of anthropic['input_examples'] as JsonValue[]) check(anthropic['input_schema']!, ex, 'anthropic input_examples');
      const openai = byName(p.openai, name, (t) => (t['function'] as Json)['name'])['function'] as Json;
      const strictExample = toStrictArguments(input, fact['example']!);
      check(openai['parameters']!, strictExample, 'openai strict example');
      expect(fromStrictArguments(input, strictExample)).toEqual(fact['example']);
    });

    it('describes delivery, budget and capabilities within the length every host accepts', () => {
      const d = fact['description'] as string;
      expect(d.length).toBeLessThanOrEqual(MAX_DESCRIPTION);
      if (fact['kind'] === 'topic') {
        expect(d).toContain(`Backplane topic ${fact['topic'] as string}`);
        expect(d).toMatch(/Delivery: (at most once|at least once|exactly once)/);
        expect(d).toMatch(/Capabilities: (publishing needs|none needed)/);
        const budget = fact['budget'] as Json;
        if (budget['latencyUs'] !== null) expect(d).toMatch(/Timing budget: latency \d+ (µs|ms|s)/);
      } else {
        expect(d).toContain(`Flex bridge intent ${fact['intent'] as string}`);
      }
      if (fact['doc'] !== null) expect(d.startsWith(((fact['doc'] as string).split(/\s+/)[0] ?? '').trim())).toBe(true);
    });
  });
});

describe('FountainKit midi-ci-pe facts', () => {
  it.each(projected)('$program.label: one function block per package, one property per tool', ({ program, facts, pe }) => {
    expect(pe.protocol).toBe('midi-ci-pe');
    const packages = [...new Set(facts.tools.map((t) => t.package))].sort();
    expect(pe.functionBlocks.map((b) => b.name)).toEqual(packages);
    for (const block of pe.functionBlocks) {
      expect(block.group).toBe(0);
      const tools = facts.tools.filter((t) => t.package === block.name);
      expect(block.properties).toHaveLength(tools.length);
      const ids = block.properties.map((pr) => pr['id']);
      expect(new Set(ids).size, `${program.label} ${block.name} ids are unique`).toBe(ids.length);
      block.properties.forEach((property, i) => {
        const t = tools[i]!;
        expect(property['id']).toMatch(/^[a-z0-9._-]+$/);
        expect(property['type']).toBe('json');
        expect((property['samples'] as Json)['request']).toEqual(t.example);
        const mapsTo = property['mapsTo'] as Json;
        if (t.kind === 'intent') {
          expect(mapsTo).toEqual({ openapi: { method: t.http!.method, path: t.http!.path.split('?')[0], body: t.http!.fileParts ? 'multipart' : 'json' } });
          expect(property['writable']).toBe(t.http!.method !== 'GET');
          expect(property['readable']).toBe(t.http!.method === 'GET');
        } else {
          expect(mapsTo).toEqual({
            backplane: { topic: t.topic, responseTopic: t.responseTopic, qos: t.qos, capabilities: t.capabilities, budget: t.budget },
          });
          expect(property['writable']).toBe(t.callable);
          if (t.stream || !t.callable) {
            const notify = property['notify'] as Json[];
            expect(notify).toHaveLength(1);
            expect(notify[0]!['on']).toBe(t.topic);
            expect(notify[0]!['transport']).toBe('ump');
            if (t.budget?.latencyUs != null) expect(notify[0]!['latencyBudgetMs']).toBe(t.budget.latencyUs / 1000);
          } else {
            expect(property).not.toHaveProperty('notify');
          }
        }
      });
    }
  });

  it('takes HTTP path and query parameters of intents from body fields', () => {
    const gig = projected.find((p) => p.program.label === 'examples/05-flex-intent');
    expect(gig).toBeDefined();
    const block = gig!.pe.functionBlocks[0]!;
    const search = block.properties.find((pr) => pr['id'] === 'lyrics.search')!;
    expect(search['mapsTo']).toEqual({ openapi: { method: 'GET', path: '/lyrics/search', body: 'json' } });
    expect((search['descriptor'] as Json)['params']).toEqual({
      query: [
        { name: 'q', type: 'string', required: true },
        { name: 'limit', type: 'integer', required: true },
      ],
    });
    const advance = block.properties.find((pr) => pr['id'] === 'setlist.advance')!;
    expect((advance['descriptor'] as Json)['params']).toEqual({ path: [{ name: 'setlistId', type: 'string', required: true }] });
    const display = block.properties.find((pr) => pr['id'] === 'gig.display')!;
    expect((display['mapsTo'] as Json)['backplane']).toMatchObject({ topic: 'gig/display', responseTopic: null, qos: 'at_most_once' });
  });
});
