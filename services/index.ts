/**
 * Public surface of midl's services (`midl/services`): code that binds generated topics to real
 * things — the WebGPU host serving `gpu/*`, the Flex bridge (intents → HTTP services), the SSE bridge,
 * the MCP server, the store-backed session authority. Each lives in a folder of its own here and is
 * exported from this file; a service imports the generated code (`generated/index.ts`) and the
 * runtime's public entry points, never the compiler or the CLI (see services/README.md).
 */
// The GPU engine: a WebGPU device behind the calls the gpu/* topics need (no bus code).
export { GpuEngine, type GpuEngineOptions } from './gpu/engine.ts';
export { describeGpu, GpuUnavailableError, openGpu, type GpuAdapterReport, type GpuBackend, type GpuDevice, type GpuOpenOptions } from './gpu/device.ts';
export { type SourceResolver } from './gpu/pipelines.ts';
export { directoryModuleStore, MAX_STORED_MODULE_BYTES, storedModulePath } from './gpu/stored-modules.ts';
export { type JobTicket } from './gpu/jobs.ts';
export { gpuRefusal, isGpuRefusal, type GpuErrorName } from './gpu/refusal.ts';
export { PUSH_CONSTANT_BINDING, PUSH_CONSTANT_GROUP } from './gpu/wgsl-scan.ts';
// The GPU plane on the bus: chunked transfers, the host serving gpu/*, the client helper.
export {
  DownloadCollector,
  MAX_CHUNK_BYTES,
  MAX_MISSING_LISTED,
  UploadAssembler,
  checksumOf,
  chunkDownload,
  chunkTransfer,
  crc32Bytes,
  type ChunkSink,
  type ChunkTransferOptions,
  type ChunkedTransfer,
  type DownloadExpectation,
  type DownloadFault,
  type RangeSource,
  type UploadAssemblerOptions,
  type UploadAssemblerStats,
} from './gpu/transfers.ts';
export { crc32Combine } from './gpu/crc32-combine.ts';
export {
  serveGpu,
  type GpuHost,
  type GpuHostEngine,
  type GpuHostOptions,
  type GpuHostStats,
  type GpuHostTelemetryOptions,
  type GpuTopicCounters,
} from './gpu/host.ts';
export { BudgetMeter, type BudgetMeterOptions, type TopicBudgetFigures } from './gpu/budget-meter.ts';
export {
  GpuClient,
  GpuClientError,
  type DispatchOptions,
  type DownloadOptions,
  type GpuClientOptions,
  type UploadOptions,
  type UploadReport,
} from './gpu/client.ts';
// The session authority: an operator's grant policy as the bus's grant decision.
export { policyGrant, ruleMatches, wildcardMatch, type GrantPolicy, type PolicyRule } from './authority/policy.ts';
// The session authority's records in a store: sessions resumed after a restart, and the grant log.
export {
  GRANTS_COLLECTION,
  MAX_LOADED_SESSIONS,
  SESSIONS_COLLECTION,
  SESSIONS_CORPUS,
  storeSessionRecords,
  type LoadedSessionRecords,
  type SkippedSessionRecord,
  type StoreSessionRecords,
  type StoreSessionRecordsOptions,
} from './authority/session-store.ts';
// MCP: a server over a catalog of tools and resources given as plain data (midl mcp binds it to a bus).
export {
  McpUnknownName,
  createMcpServer,
  type McpCatalog,
  type McpResource,
  type McpResourceContents,
  type McpResourceTemplate,
  type McpTool,
  type McpToolResult,
} from './mcp/server.ts';
export { serveMcpHttp, type McpHttpOptions, type McpHttpServer } from './mcp/http.ts';
export { serveMcpStdio, type McpStdioServer } from './mcp/stdio.ts';
// The Flex bridge: intent envelopes on flex/envelope → the HTTP services their `http:` mapping names.
export { networkPeerSender, serveFlexBridge, type FlexBridge, type FlexBridgeOptions, type TokenSource } from './bridge/bridge.ts';
export { flexFailure } from './bridge/failures.ts';
export { GatewayToken, GatewayTokenError, type GatewayTokenOptions } from './bridge/gateway-token.ts';
export { intentRequest, type IntentRequest } from './bridge/http-call.ts';
export { DeviceGate, intentPatternMatches, type DeviceGateOptions, type DevicePolicy, type DeviceRate, type DeviceRule } from './bridge/policy.ts';
export { FlexJournal, journalName } from './bridge/journal.ts';
export { ReplayGuard, type ReplayGuardOptions, type ReplayVerdict } from './bridge/replay-guard.ts';
export { flexErrorName } from './bridge/failures.ts';
export type { FlexBridgeObserver } from './bridge/observer.ts';
// Prometheus metrics of a process: a bus's link and topic counters, the Flex bridge's own, GET /metrics.
export { Registry as MetricsRegistry } from 'prom-client';
export { busMetrics, ENDED_PEER, type BusMetricsOptions } from './metrics/bus-metrics.ts';
export { flexBridgeMetrics, type FlexBridgeMetrics } from './metrics/bridge-metrics.ts';
export { streamMetrics, type StreamMetrics } from './metrics/stream-metrics.ts';
export { sseMetrics, type SseMetricsOptions } from './metrics/sse-metrics.ts';
export { OTHER as METRICS_OTHER_LABEL } from './metrics/labels.ts';
export {
  METRICS_PATH,
  isMetricsRequest,
  metricsHandler,
  serveMetrics,
  type MetricsHandlerOptions,
  type MetricsServer,
  type MetricsServerOptions,
} from './metrics/http.ts';
// SSE over the bus: the ingress (upstream HTTP stream → sse/stream/{id}) and the egress (an HTTP server re-serving it).
export { serveSseIngress, upstreamUrl, MAX_SSE_BODY_BYTES, MAX_SSE_EVENT_CHARS, type SseIngress, type SseIngressOptions } from './sse/ingress.ts';
export { networkSessions, serveSseEgress, type SseEgress, type SseEgressOptions } from './sse/egress.ts';
export { newSseCounters, type SseCounters } from './sse/counters.ts';
export { SseCoalescer, splitText, type CoalescedEvent } from './sse/coalescer.ts';
export { SequenceError, StreamSequencer, type SequencedEvent, type SequencerLimits } from './sse/sequencer.ts';
export { eventText, parseEventText, SseTextError, type SseTextEvent } from './sse/sse-text.ts';
