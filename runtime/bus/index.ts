/**
 * Public surface of the midl Bus: topic and intent descriptors (what generated registries are made
 * of), capability masks, address patterns, the `Bus` interface, typed client wrappers, typed errors and
 * the in-process `LoopbackBus`.
 */
export {
  defineErrorSet,
  defineIntent,
  defineTopic,
  type AnyIntentDescriptor,
  type AnyTopicDescriptor,
  type ErrorSetDescriptor,
  type HttpMethodName,
  type IntentDescriptor,
  type LaneName,
  type PayloadOf,
  type QosLevel,
  type ReplyOf,
  type TopicDescriptor,
} from './descriptor.ts';
export {
  BUS_ERROR_CODES,
  BusError,
  RemoteError,
  isBusError,
  type BusErrorCode,
  type BusErrorDetails,
  type RemoteErrorInfo,
  type RemoteErrorOptions,
} from './errors.ts';
export {
  MAX_PARAM_LENGTH,
  compilePattern,
  formatAddress,
  matchAddress,
  paramsOf,
  replyAddress,
  topicPattern,
  type AddressParams,
  type AddressPattern,
  type ParamValue,
} from './address.ts';
export {
  CAPABILITY_MASK_BITS,
  assertMask,
  bitsOf,
  capabilityMaskHelpers,
  maskAllows,
  maskHasAll,
  maskHasAny,
  type CapabilityInfo,
  type CapabilityMaskHelpers,
} from './capabilities.ts';
export type {
  Bus,
  Delivery,
  Handler,
  IntentDelivery,
  IntentResponder,
  InvokeOptions,
  PatternSubscribeOptions,
  PublishOptions,
  ReplyValue,
  RequestOptions,
  Responder,
  SubscribeOptions,
  Subscription,
  TopicParams,
} from './bus.ts';
export {
  intentClient,
  topicClient,
  withMembers,
  type IntentClient,
  type ParamRequestMethods,
  type ParamTopicMethods,
  type PlainRequestMethods,
  type PlainTopicMethods,
  type PublishCallOptions,
  type RequestCallOptions,
  type TopicClient,
} from './client.ts';
export { ALL_CAPABILITIES, LoopbackBus, LoopbackHub, type LoopbackHubOptions, type LoopbackSessionOptions } from './loopback.ts';
export {
  INTENT_TOPIC_ID,
  NetworkBus,
  type ConnectOptions,
  type GrantFunction,
  type GrantRequest,
  type SessionGrant,
  type SessionPeer,
  type NetworkBusOptions,
  type NetworkBusStats,
  type NetworkTelemetryOptions,
} from './network.ts';
export type { RetransmitOptions } from './outbox.ts';
export { RTT_SAMPLES, type LinkReportValue, type PeerTraffic } from './peer-meter.ts';
export { DEFAULT_EXACTLY_ONCE_WINDOW, isDedupeIdentity, type ExactlyOnceOptions } from './exactly-once.ts';
export type { DeliveryReportValue, JitterReportValue, TopicSnapshot } from './telemetry.ts';
export {
  RESTORED_SEQ_JUMP,
  SessionRecordError,
  hashResumeToken,
  parseSessionRecord,
  resumeTokenMatches,
  type SessionRecord,
  type SessionRecordEvent,
  type SessionRecords,
} from './session-records.ts';
