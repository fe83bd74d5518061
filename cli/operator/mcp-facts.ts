/**
 * What `midl mcp` offers of a schema besides its live topics: the MCP projection of its facts (the
 * tools/list entries, the topics that only report as resources and templates, as `midl gen` writes
 * generated/facts/mcp.json) and the documents themselves, the schema's sources and every facts file,
 * as resources to read.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { compile, generate, readLock, type EmittedFile } from '../../compiler/index.ts';
import type { JsonValue } from '../../runtime/index.ts';
import type { McpResource, McpResourceTemplate, McpTool } from '../../services/index.ts';
import { UsageError } from '../exit.ts';
import { planFor } from '../schema-runtime.ts';

/** A document offered as a resource: its listing and its text. */
export interface McpDocument {
  readonly resource: McpResource;
  readonly text: string;
}

export interface McpFacts {
  readonly tools: readonly McpTool[];
  readonly resources: readonly McpResource[];
  readonly resourceTemplates: readonly McpResourceTemplate[];
  readonly documents: readonly McpDocument[];
}

interface Projection {
  readonly tools: McpTool[];
  readonly resources: McpResource[];
  readonly resourceTemplates: McpResourceTemplate[];
}

/** The URI of a schema source file (its path relative to the working directory) or of a facts file of a program. */
export const schemaDocumentUri = (path: string): string => `midl-schema:///${path.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/')}`;
export const factsDocumentUri = (program: string, file: string): string => `midl-facts:///${encodeURIComponent(program)}/${encodeURIComponent(file)}`;

/**
 * Compiles the programs `loadSchema` serves (the same plan, with the capability bits midl.lock pins, so
 * the masks are those of the generated facts) and projects their facts. Called after `loadSchema` has
 * accepted the schema: a program that fails now changed on disk in between, a usage error.
 */
export async function loadMcpFacts(schemaPath: string | undefined): Promise<McpFacts> {
  const plan = planFor(schemaPath);
  const locked = plan.lockPath ? readLock(plan.lockPath).programs : {};
  const tools: McpTool[] = [];
  const resources: McpResource[] = [];
  const resourceTemplates: McpResourceTemplate[] = [];
  const documents: McpDocument[] = [];
  for (const job of plan.jobs) {
    const result = compile(job.files, { lockedCapabilityBits: new Map(Object.entries(locked[job.label]?.capabilities ?? {})) });
    if (result.hasErrors) throw new UsageError(`${job.label}: the schema no longer compiles (it changed while midl mcp started); run midl check`);
    const files = await generate(result.ir, { runtimeImport: job.runtimeImport, targets: ['facts'] });
    const projection = parseProjection(fileText(files, 'facts/mcp.json'));
    tools.push(...projection.tools);
    resources.push(...projection.resources);
    resourceTemplates.push(...projection.resourceTemplates);
    for (const source of job.files) {
      // Below the working directory by its relative path, elsewhere by its absolute one (a URI has no `..`).
      const below = relative(process.cwd(), source);
      const path = below === '' || below.startsWith('..') || isAbsolute(below) ? resolve(source) : below;
      documents.push({
        resource: { uri: schemaDocumentUri(path), name: path, description: `midl schema source of ${job.label}`, mimeType: 'text/plain' },
        text: readFileSync(source, 'utf8'),
      });
    }
    for (const f of files) {
      const file = f.path.replace(/^facts\//, '');
      documents.push({
        resource: {
          uri: factsDocumentUri(job.label, file),
          name: `${job.label}/${file}`,
          description: `generated facts of ${job.label}`,
          mimeType: 'application/json',
        },
        text: f.content,
      });
    }
  }
  return { tools, resources, resourceTemplates, documents };
}

function fileText(files: readonly EmittedFile[], path: string): string {
  const file = files.find((f) => f.path === path);
  if (!file) throw new Error(`the facts emitter wrote no ${path}`);
  return file.content;
}

function parseProjection(text: string): Projection {
  const doc = JSON.parse(text) as { tools: JsonValue[]; resources: JsonValue[]; resourceTemplates: JsonValue[] };
  return {
    tools: doc.tools as unknown as McpTool[],
    resources: doc.resources as unknown as McpResource[],
    resourceTemplates: doc.resourceTemplates as unknown as McpResourceTemplate[],
  };
}
