import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toStrictArguments } from '../../compiler/emitters/facts/openai.ts';
import { bindTools, failureResult, invalidArguments, readArguments, toolAllowed, type BoundTool } from '../../cli/operator/mcp-tools.ts';
import { intents, topics } from '../../generated/index.ts';
import { BusError, type AnyIntentDescriptor, type AnyTopicDescriptor, type JsonValue } from '../../runtime/index.ts';
import type { McpTool } from '../../services/mcp/server.ts';
import { repoPath } from '../helpers/repo.ts';

/**
 * The tool side of `midl mcp` on the repository's own schema (the generated registry and the committed
 * generated/facts): binding, capability filtering, reading arguments in both forms, error results.
 */

const projection = JSON.parse(readFileSync(repoPath('generated/facts/mcp.json'), 'utf8')) as { tools: McpTool[] };
const facts = JSON.parse(readFileSync(repoPath('generated/facts/facts.json'), 'utf8')) as { tools: { name: string; callable: boolean; example: JsonValue }[] };
const schema = {
  topics: Object.values(topics) as readonly AnyTopicDescriptor[],
  intents: Object.values(intents) as readonly AnyIntentDescriptor[],
};
const bound = bindTools(projection.tools, schema);
const tool = (name: string): BoundTool => bound.find((b) => b.tool.name === name)!;
const exampleOf = (name: string): JsonValue => facts.tools.find((t) => t.name === name)!.example;

describe('midl mcp tools', () => {
  it('binds every tool of mcp.json to its topic or intent', () => {
    expect(bound.map((b) => b.tool.name)).toEqual(facts.tools.filter((t) => t.callable).map((t) => t.name));
    expect(tool('gpu__job_dispatch').target).toMatchObject({ kind: 'topic', topic: { address: 'gpu/job.dispatch' } });
    expect(tool('planner_execute').target).toMatchObject({ kind: 'intent', intent: { name: 'planner.execute' } });
    expect(() => bindTools([{ name: 'stray', inputSchema: { type: 'object' }, _meta: { 'midl/topic': 'no/such' } }], schema)).toThrow(/stray/);
  });

  it('lists a topic only for a session holding one of its publish capabilities; before any session every tool', () => {
    const dispatch = tool('gpu__job_dispatch');
    const mask = (topics['gpu/job.dispatch'] as AnyTopicDescriptor).publish;
    expect(mask).not.toBe(0n);
    expect(toolAllowed(dispatch, mask)).toBe(true);
    expect(toolAllowed(dispatch, ~mask & ((1n << 64n) - 1n))).toBe(false);
    expect(toolAllowed(dispatch, undefined)).toBe(true);
    expect(toolAllowed(tool('planner_execute'), 0n)).toBe(true);
  });

  it("reads every tool's example in the schema's own form, and in the OpenAI strict form to the same value", () => {
    for (const b of bound) {
      const example = exampleOf(b.tool.name);
      const own = readArguments(b, example as Record<string, unknown>);
      expect(Array.isArray(own) ? own : [], b.tool.name).toEqual([]);
      const strictForm = toStrictArguments(b.tool.inputSchema as { [k: string]: JsonValue }, example) as Record<string, unknown>;
      expect(readArguments(b, strictForm, 'strict'), b.tool.name).toEqual(own);
      // auto takes it too (JSON text of an untyped field stays text: the next test).
      expect(Array.isArray(readArguments(b, strictForm)), b.tool.name).toBe(false);
    }
    expect(readArguments(tool('sse__ctrl__id'), exampleOf('sse__ctrl__id') as Record<string, unknown>)).toMatchObject({ params: { id: 'example' } });
  });

  it('auto keeps a string given for an untyped JSON field (a valid own-form value); strict parses it as JSON text', () => {
    const envelope = { v: 1, ts: '0', corr: 'c1', intent: 'planner.execute', body: '{"objective":"x"}' };
    expect(readArguments(tool('flex__envelope'), envelope)).toMatchObject({ value: { body: '{"objective":"x"}' } });
    expect(readArguments(tool('flex__envelope'), envelope, 'strict')).toMatchObject({ value: { body: { objective: 'x' } } });
    // An optional field given as null (strict's way of leaving it out) is read as absent.
    const create = readArguments(tool('gpu__buffer_create'), { ...(exampleOf('gpu__buffer_create') as object), label: null });
    expect(create).toMatchObject({ value: { bufferId: 'example' } });
    expect((create as { value: { label?: unknown } }).value.label).toBeUndefined();
  });

  it('names every bad field by its JSON Pointer, the address parameters and the payload of a parameterised topic alike', () => {
    const create = tool('gpu__buffer_create');
    expect(readArguments(create, { ...(exampleOf('gpu__buffer_create') as object), size: 'many' })).toEqual([expect.stringMatching(/^\/size: /)]);
    const ctrl = tool('sse__ctrl__id');
    const problems = readArguments(ctrl, { params: { id: 7, extra: 'x' }, payload: { v: 'one' }, more: 1 }) as string[];
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/more: unknown argument/),
        expect.stringMatching(/^\/params\/id: expected a string/),
        expect.stringMatching(/^\/params\/extra: not a parameter/),
        expect.stringMatching(/^\/payload\/v: /),
      ]),
    );
    expect(readArguments(ctrl, undefined)).toEqual(['/params: expected an object with the address parameters', '/payload: required']);
    expect(readArguments(ctrl, 'text' as unknown as Record<string, unknown>)).toEqual(['/: expected an object {params, payload}']);
    const result = invalidArguments(
      create,
      Array.from({ length: 12 }, (_, i) => `/f${i}: bad`),
    );
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([
      { type: 'text', text: expect.stringMatching(/^invalid arguments for gpu__buffer_create: \/f0: bad; .*\/f9: bad; … and 2 more$/) as unknown },
    ]);
  });

  it('hostile arguments: any JSON gives a value or problems each led by a JSON Pointer, never a throw', () => {
    fc.assert(
      fc.property(fc.constantFrom(...bound), fc.jsonValue({ maxDepth: 4 }), fc.constantFrom('auto' as const, 'strict' as const), (b, json, form) => {
        const read = readArguments(b, json as Record<string, unknown>, form);
        if (Array.isArray(read)) {
          expect(read.length).toBeGreaterThan(0);
          for (const p of read) expect(p).toMatch(/^\/[^\n]*: /);
        } else expect(read).toHaveProperty('value');
      }),
      { numRuns: 300 },
    );
  });

  it("an error reply reads as the schema spells it, detail and retry hint included; other failures lead with the bus's code", () => {
    const remote = new BusError('remote', 'x', {
      remote: { name: 'COMPILE_FAILED', code: 1003, message: 'WGSL did not compile', detail: { line: 3 }, retryAfterMs: 250 },
    });
    const result = failureResult(tool('gpu__pipeline_create'), remote);
    expect(result).toEqual({
      isError: true,
      content: [
        {
          type: 'text',
          text: 'GpuError.COMPILE_FAILED (1003): WGSL did not compile\ndetail: {"line":3}\nretry: the responder says a retry may succeed after 250 ms',
        },
      ],
      _meta: {
        'midl/error': {
          kind: 'remote',
          errorSet: 'fountain.gpu.GpuError',
          name: 'COMPILE_FAILED',
          code: 1003,
          message: 'WGSL did not compile',
          detail: { line: 3 },
          retryAfterMs: 250,
        },
      },
    });
    const timeout = failureResult(tool('gpu__pipeline_create'), new BusError('timeout', 'gpu/pipeline.create/reply/9: no reply within 300 ms'));
    expect(timeout.content).toEqual([{ type: 'text', text: 'timeout: gpu/pipeline.create/reply/9: no reply within 300 ms' }]);
    expect(timeout._meta).toEqual({ 'midl/error': { kind: 'timeout', message: 'gpu/pipeline.create/reply/9: no reply within 300 ms' } });
  });
});
