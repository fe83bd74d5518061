/**
 * The `facts` emitter (docs/generated-code.md § Layout): LLM tool facts and their projections.
 *   facts/facts.json        neutral facts, one entry per topic and intent (model.ts)
 *   facts/openai.json       OpenAI Chat Completions tools, strict mode
 *   facts/anthropic.json    Anthropic Messages API tools
 *   facts/mcp.json          MCP tools/list result
 *   facts/fountain-pe.json  FountainKit midi-ci-pe facts
 */
import type { IrProgram } from '../../ir/ir.ts';
import type { EmittedFile, Emitter } from '../emitter.ts';
import { typeSchema } from '../jsonschema/schema.ts';
import { buildFacts, type TypeSchemaFn } from './model.ts';
import { anthropicTools, fountainPe, mcpTools, openaiTools } from './projections.ts';

/** 2-space JSON with one trailing newline. */
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export const FACTS_FILES = ['facts/facts.json', 'facts/openai.json', 'facts/anthropic.json', 'facts/mcp.json', 'facts/fountain-pe.json'] as const;

/** The facts files of a program; `schemaOf` is the JSON Schema emitter's `typeSchema` unless a test replaces it. */
export function emitFacts(ir: IrProgram, schemaOf: TypeSchemaFn = typeSchema): EmittedFile[] {
  const doc = buildFacts(ir, schemaOf);
  return [
    { path: 'facts/facts.json', content: json(doc) },
    { path: 'facts/openai.json', content: json(openaiTools(doc)) },
    { path: 'facts/anthropic.json', content: json(anthropicTools(doc)) },
    { path: 'facts/mcp.json', content: json(mcpTools(doc)) },
    { path: 'facts/fountain-pe.json', content: json(fountainPe(doc)) },
  ];
}

export const factsEmitter: Emitter = {
  name: 'facts',
  emit: (ir) => emitFacts(ir),
};
