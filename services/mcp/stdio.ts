/**
 * MCP over stdio, as an LLM host spawns a server: stdin and stdout carry the protocol (nothing else may
 * be written to stdout), and the host ends the server by closing stdin.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';

export interface McpStdioServer {
  /** Resolves when the host has gone: stdin ended, or the transport closed. */
  readonly ended: Promise<void>;
  close(): Promise<void>;
}

/** Connects `server` to this process's stdin and stdout. */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- the low-level Server on purpose (server.ts)
export async function serveMcpStdio(server: Server): Promise<McpStdioServer> {
  // Imported here, not at the top: importing midl/services does not load the SDK (server.ts).
  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
  const transport = new StdioServerTransport();
  const ended = new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    const before = server.onclose;
    server.onclose = () => {
      before?.();
      resolve();
    };
  });
  await server.connect(transport);
  return { ended, close: () => server.close() };
}
