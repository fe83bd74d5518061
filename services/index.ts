/**
 * Public surface of midl's services (`midl/services`): code that binds generated topics to real
 * things — the WebGPU host serving `gpu/*`, the Flex bridge (intents → HTTP services), the SSE bridge,
 * the MCP server, the store-backed session authority. Each lives in a folder of its own here and is
 * exported from this file; a service imports the generated code (`generated/index.ts`) and the
 * runtime's public entry points, never the compiler or the CLI (see services/README.md).
 *
 * No service has landed yet: this module exports nothing.
 */
export {};
