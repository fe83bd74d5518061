import { Option, type Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import { addClientOptions, milliseconds, peerUrlHelp, schemaOption } from '../operator/options.ts';
import type { ArgumentForm } from '../operator/mcp-tools.ts';
import type { McpOptions } from '../operator/run-mcp.ts';

/**
 * `midl mcp`: an MCP server whose tools are the topics and intents of a schema, each call a request to
 * the peer (docs/mcp.md). On stdio by default, where stdout is the protocol and diagnostics go to stderr.
 */
export function registerMcp(program: Command, setExit: SetExitCode): void {
  addClientOptions(
    program
      .command('mcp')
      .description("serve the schema's topics and intents as MCP tools (stdio, or Streamable HTTP with --http): each call a request to the peer")
      .requiredOption('--to <url>', peerUrlHelp())
      .addOption(schemaOption())
      .option('--http <host:port>', 'serve Streamable HTTP at http://HOST:PORT/mcp instead of stdio (port 0: any free port, printed on stderr)')
      .addOption(
        new Option(
          '--argument-form <form>',
          "auto: arguments in the schema's own JSON form, or else in the OpenAI strict form; strict: always the strict form (generated/facts/openai.json)",
        )
          .choices(['auto', 'strict'] satisfies ArgumentForm[])
          .default('auto'),
      )
      .addOption(
        new Option('--timeout <ms>', 'how long a call waits for the peer (to connect, and for the reply): past it the call is a tool error')
          .argParser(milliseconds)
          .default(3000),
      ),
    'midl mcp',
  ).action(async (opts: McpOptions) => (await import('../operator/run-mcp.ts')).runMcp(opts, setExit));
}
