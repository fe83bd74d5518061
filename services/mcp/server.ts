/**
 * The MCP side of `midl mcp`: an SDK low-level `Server` answering tools/list, tools/call, resources/list,
 * resources/templates/list and resources/read from a catalog given as plain data and two functions. The
 * server knows nothing of buses or schemas: what a call does and what a resource holds is the catalog's
 * business, so tool input schemas reach the host exactly as the catalog states them.
 */
// Types only: the SDK itself is imported when a server is made, so that importing midl/services (say, for
// the GPU host) does not load it.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { CallToolResult, ReadResourceResult, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';

export type McpTool = Tool;
export type McpResource = Resource;
export type McpResourceTemplate = ResourceTemplate;
export type McpToolResult = CallToolResult;
export type McpResourceContents = ReadResourceResult['contents'];

/** What an MCP server offers, asked afresh for every list request (what may be called can change while it runs). */
export interface McpCatalog {
  /** The implementation name and version the server announces. */
  readonly name: string;
  readonly version: string;
  /** Shown to the host's model at initialisation. */
  readonly instructions?: string;
  tools(): readonly McpTool[];
  resources(): readonly McpResource[];
  resourceTemplates(): readonly McpResourceTemplate[];
  /**
   * Runs a tool. A failure the model should see (an error reply, bad arguments, a peer that is down)
   * is a result with `isError: true`; throw `McpUnknownName` for a tool that does not exist.
   */
  call(name: string, args: Readonly<Record<string, unknown>> | undefined): Promise<McpToolResult>;
  /** The contents of a resource; throw `McpUnknownName` for a URI that names none, another Error when it cannot be read now. */
  read(uri: string): Promise<McpResourceContents>;
}

/** A tool name or resource URI the catalog does not have: answered as the protocol error Invalid params. */
export class McpUnknownName extends Error {
  override readonly name = 'McpUnknownName';
}

/**
 * A low-level SDK server over `catalog`, not yet connected (`server.connect(transport)`). It declares
 * `listChanged` for tools and resources: a caller whose catalog changes calls `sendToolListChanged()`.
 */
// The low-level Server on purpose (the SDK deprecates it for plain uses): tools' input schemas must reach
// the host exactly as the schema states them, which McpServer's zod descriptions cannot do.
// eslint-disable-next-line @typescript-eslint/no-deprecated
export async function createMcpServer(catalog: McpCatalog): Promise<Server> {
  const [sdk, types] = await Promise.all([import('@modelcontextprotocol/sdk/server/index.js'), import('@modelcontextprotocol/sdk/types.js')]);
  const { ErrorCode, McpError } = types;
  // An unknown name is the client's mistake (Invalid params); anything else is the server's (Internal error), its message kept.
  const asProtocolError = (err: unknown): Error => {
    if (err instanceof McpError) return err;
    if (err instanceof McpUnknownName) return new McpError(ErrorCode.InvalidParams, err.message);
    return new McpError(ErrorCode.InternalError, err instanceof Error ? err.message : String(err));
  };
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const server = new sdk.Server(
    { name: catalog.name, version: catalog.version },
    {
      capabilities: { tools: { listChanged: true }, resources: { listChanged: true } },
      ...(catalog.instructions === undefined ? {} : { instructions: catalog.instructions }),
    },
  );
  server.setRequestHandler(types.ListToolsRequestSchema, () => ({ tools: [...catalog.tools()] }));
  server.setRequestHandler(types.CallToolRequestSchema, async (request) => {
    try {
      return await catalog.call(request.params.name, request.params.arguments);
    } catch (err) {
      throw asProtocolError(err);
    }
  });
  server.setRequestHandler(types.ListResourcesRequestSchema, () => ({ resources: [...catalog.resources()] }));
  server.setRequestHandler(types.ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: [...catalog.resourceTemplates()] }));
  server.setRequestHandler(types.ReadResourceRequestSchema, async (request) => {
    try {
      return { contents: await catalog.read(request.params.uri) };
    } catch (err) {
      throw asProtocolError(err);
    }
  });
  return server;
}
