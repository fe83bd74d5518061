import { UmpError, UmpErrorCode, checkRange } from './errors.ts';
import { MessageType, segmentFormatFor, segmentFormatName, type SegmentFormatName } from './mt.ts';
import { describeKey, rejectPacket, segmentResult, segmentTarget, streamTextKey, type ErrorSink, type OpenMessageTable } from './table.ts';
import { decodeText, encodeText } from './text.ts';
import { packetBytes, writePacketBytes } from './words.ts';

/** UMP Stream messages (MT 0xF, 128 bit, groupless): word 0 `[27:26]` format `[25:16]` status `[15:0]` data. */
export const StreamStatus = {
  EndpointDiscovery: 0x000,
  EndpointInfo: 0x001,
  DeviceIdentity: 0x002,
  EndpointName: 0x003,
  ProductInstanceId: 0x004,
  StreamConfigRequest: 0x005,
  StreamConfigNotification: 0x006,
  FunctionBlockDiscovery: 0x010,
  FunctionBlockInfo: 0x011,
  FunctionBlockName: 0x012,
  StartOfClip: 0x020,
  EndOfClip: 0x021,
} as const;

/** Endpoint Discovery filter bits. */
export const EndpointDiscoveryFilter = {
  EndpointInfo: 0x01,
  DeviceIdentity: 0x02,
  EndpointName: 0x04,
  ProductInstanceId: 0x08,
  StreamConfig: 0x10,
} as const;

/** Protocol values of Stream Configuration messages. */
export const StreamProtocol = { Midi1: 0x01, Midi2: 0x02 } as const;

/** Protocol caps of the text messages, in bytes. */
export const ENDPOINT_NAME_MAX_BYTES = 98;
export const PRODUCT_INSTANCE_ID_MAX_BYTES = 42;
export const FUNCTION_BLOCK_NAME_MAX_BYTES = 91;

export interface EndpointDiscoveryMessage {
  readonly kind: 'endpoint-discovery';
  readonly umpVersionMajor: number;
  readonly umpVersionMinor: number;
  readonly filter: number;
}

export interface EndpointInfoMessage {
  readonly kind: 'endpoint-info';
  readonly umpVersionMajor: number;
  readonly umpVersionMinor: number;
  readonly staticFunctionBlocks: boolean;
  readonly functionBlockCount: number;
  readonly midi2: boolean;
  readonly midi1: boolean;
  readonly rxJr: boolean;
  readonly txJr: boolean;
}

export interface DeviceIdentityMessage {
  readonly kind: 'device-identity';
  /** Three 7-bit SysEx manufacturer id bytes, packed big-endian (byte 1 in bits 23..16). */
  readonly manufacturerId: number;
  /** 14 bit: LSB in bits 6..0, MSB in bits 13..7. */
  readonly familyId: number;
  readonly modelId: number;
  /** Four 7-bit bytes, packed big-endian. */
  readonly softwareRevision: number;
}

export interface EndpointNameMessage {
  readonly kind: 'endpoint-name';
  readonly name: string;
}

export interface ProductInstanceIdMessage {
  readonly kind: 'product-instance-id';
  readonly id: string;
}

export interface StreamConfigMessage {
  readonly kind: 'stream-config-request' | 'stream-config-notification';
  readonly protocol: number;
  readonly rxJr: boolean;
  readonly txJr: boolean;
}

export interface FunctionBlockDiscoveryMessage {
  readonly kind: 'fb-discovery';
  /** 0xFF = all function blocks. */
  readonly functionBlock: number;
  /** 0x01 info, 0x02 name. */
  readonly filter: number;
}

export interface FunctionBlockInfoMessage {
  readonly kind: 'fb-info';
  readonly active: boolean;
  readonly functionBlock: number;
  readonly uiHint: number;
  /** 0 not MIDI 1.0, 1 MIDI 1.0, 2 MIDI 1.0 restricted to 31.25 kb/s. */
  readonly midi1: number;
  /** 1 input, 2 output, 3 bidirectional. */
  readonly direction: number;
  readonly firstGroup: number;
  readonly groupCount: number;
  readonly midiCiVersion: number;
  readonly maxSysEx8Streams: number;
}

export interface FunctionBlockNameMessage {
  readonly kind: 'fb-name';
  readonly functionBlock: number;
  readonly name: string;
}

export interface ClipMessage {
  readonly kind: 'start-of-clip' | 'end-of-clip';
}

export type StreamMessage =
  | EndpointDiscoveryMessage
  | EndpointInfoMessage
  | DeviceIdentityMessage
  | EndpointNameMessage
  | ProductInstanceIdMessage
  | StreamConfigMessage
  | FunctionBlockDiscoveryMessage
  | FunctionBlockInfoMessage
  | FunctionBlockNameMessage
  | ClipMessage;

/** One packet of a (possibly multi-packet) text message, as `decodePacket` shows it. */
export interface StreamTextPacket {
  readonly kind: 'endpoint-name' | 'product-instance-id' | 'fb-name';
  readonly format: SegmentFormatName;
  /** Only for fb-name. */
  readonly functionBlock?: number;
  readonly data: Uint8Array;
}

/** What `decodeStreamPacket` gives for one packet: single-packet messages, or a text packet. */
export type StreamPacket = Exclude<StreamMessage, EndpointNameMessage | ProductInstanceIdMessage | FunctionBlockNameMessage> | StreamTextPacket;

type Fields<T> = Omit<T, 'kind'>;

function stream(status: number, low16: number, w1 = 0, w2 = 0, w3 = 0, format = 0): Uint32Array {
  return Uint32Array.of(((MessageType.UmpStream << 28) | (format << 26) | (status << 16) | low16) >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0);
}

const bit = (b: boolean, shift: number): number => (b ? 1 << shift : 0);

export function encodeEndpointDiscovery(m: Fields<EndpointDiscoveryMessage>): Uint32Array {
  const major = checkRange('umpVersionMajor', m.umpVersionMajor, 0, 0xff);
  const minor = checkRange('umpVersionMinor', m.umpVersionMinor, 0, 0xff);
  return stream(StreamStatus.EndpointDiscovery, (major << 8) | minor, checkRange('filter', m.filter, 0, 0xff));
}

export function encodeEndpointInfo(m: Fields<EndpointInfoMessage>): Uint32Array {
  const major = checkRange('umpVersionMajor', m.umpVersionMajor, 0, 0xff);
  const minor = checkRange('umpVersionMinor', m.umpVersionMinor, 0, 0xff);
  const count = checkRange('functionBlockCount', m.functionBlockCount, 0, 0x7f);
  const w1 = bit(m.staticFunctionBlocks, 31) | (count << 24) | bit(m.midi2, 9) | bit(m.midi1, 8) | bit(m.rxJr, 1) | bit(m.txJr, 0);
  return stream(StreamStatus.EndpointInfo, (major << 8) | minor, w1);
}

function sevenBitBytes(name: string, value: number, bytes: number): number {
  checkRange(name, value, 0, 2 ** (8 * bytes) - 1);
  for (let i = 0; i < bytes; i++) {
    if ((value >>> (8 * i)) & 0x80) throw new UmpError(UmpErrorCode.InvalidField, `${name}: every byte must be 7-bit, got 0x${value.toString(16)}`);
  }
  return value;
}

export function encodeDeviceIdentity(m: Fields<DeviceIdentityMessage>): Uint32Array {
  const mfr = sevenBitBytes('manufacturerId', m.manufacturerId, 3);
  const family = checkRange('familyId', m.familyId, 0, 0x3fff);
  const model = checkRange('modelId', m.modelId, 0, 0x3fff);
  const sw = sevenBitBytes('softwareRevision', m.softwareRevision, 4);
  const w2 = ((family & 0x7f) << 24) | ((family >>> 7) << 16) | ((model & 0x7f) << 8) | (model >>> 7);
  return stream(StreamStatus.DeviceIdentity, 0, mfr, w2, sw);
}

function encodeStreamConfig(status: number, m: Fields<StreamConfigMessage>): Uint32Array {
  const protocol = checkRange('protocol', m.protocol, 0, 0xff);
  return stream(status, (protocol << 8) | bit(m.rxJr, 1) | bit(m.txJr, 0));
}
export function encodeStreamConfigRequest(m: Fields<StreamConfigMessage>): Uint32Array {
  return encodeStreamConfig(StreamStatus.StreamConfigRequest, m);
}
export function encodeStreamConfigNotification(m: Fields<StreamConfigMessage>): Uint32Array {
  return encodeStreamConfig(StreamStatus.StreamConfigNotification, m);
}

export function encodeFunctionBlockDiscovery(m: Fields<FunctionBlockDiscoveryMessage>): Uint32Array {
  const fb = checkRange('functionBlock', m.functionBlock, 0, 0xff);
  return stream(StreamStatus.FunctionBlockDiscovery, (fb << 8) | checkRange('filter', m.filter, 0, 0xff));
}

export function encodeFunctionBlockInfo(m: Fields<FunctionBlockInfoMessage>): Uint32Array {
  const low =
    bit(m.active, 15) |
    (checkRange('functionBlock', m.functionBlock, 0, 0x7f) << 8) |
    (checkRange('uiHint', m.uiHint, 0, 3) << 4) |
    (checkRange('midi1', m.midi1, 0, 3) << 2) |
    checkRange('direction', m.direction, 0, 3);
  const w1 =
    (checkRange('firstGroup', m.firstGroup, 0, 0xff) << 24) |
    (checkRange('groupCount', m.groupCount, 0, 0xff) << 16) |
    (checkRange('midiCiVersion', m.midiCiVersion, 0, 0xff) << 8) |
    checkRange('maxSysEx8Streams', m.maxSysEx8Streams, 0, 0xff);
  return stream(StreamStatus.FunctionBlockInfo, low, w1);
}

export function encodeStartOfClip(): Uint32Array {
  return stream(StreamStatus.StartOfClip, 0);
}
export function encodeEndOfClip(): Uint32Array {
  return stream(StreamStatus.EndOfClip, 0);
}

interface TextLayout {
  readonly kind: StreamTextPacket['kind'];
  /** First packet byte holding text. */
  readonly first: number;
  readonly maxBytes: number;
}

const TEXT_LAYOUTS: ReadonlyMap<number, TextLayout> = new Map([
  [StreamStatus.EndpointName, { kind: 'endpoint-name', first: 2, maxBytes: ENDPOINT_NAME_MAX_BYTES }],
  [StreamStatus.ProductInstanceId, { kind: 'product-instance-id', first: 2, maxBytes: PRODUCT_INSTANCE_ID_MAX_BYTES }],
  [StreamStatus.FunctionBlockName, { kind: 'fb-name', first: 3, maxBytes: FUNCTION_BLOCK_NAME_MAX_BYTES }],
]);

function packStreamText(status: number, bytes: Uint8Array, functionBlock: number): Uint32Array {
  const layout = TEXT_LAYOUTS.get(status)!;
  if (bytes.length > layout.maxBytes) {
    throw new UmpError(UmpErrorCode.TooLarge, `${layout.kind} is ${bytes.length} bytes; the protocol allows at most ${layout.maxBytes}`);
  }
  const per = 16 - layout.first;
  const packets = Math.max(1, Math.ceil(bytes.length / per));
  const out = new Uint32Array(packets * 4);
  for (let p = 0; p < packets; p++) {
    const head = stream(status, layout.first === 3 ? functionBlock << 8 : 0, 0, 0, 0, segmentFormatFor(p, packets));
    out[p * 4] = head[0]!;
    writePacketBytes(out, p * 4, layout.first, bytes, p * per, Math.min(per, bytes.length - p * per));
  }
  return out;
}

/** Endpoint Name: UTF-8, at most 98 bytes, 14 bytes per packet. */
export function packEndpointName(name: string): Uint32Array {
  return packStreamText(StreamStatus.EndpointName, encodeText('endpoint name', name), 0);
}

/** Product Instance Id: ASCII, at most 42 bytes, 14 bytes per packet. */
export function packProductInstanceId(id: string): Uint32Array {
  const bytes = encodeText('product instance id', id);
  if (bytes.some((b) => b > 0x7f)) throw new UmpError(UmpErrorCode.InvalidField, 'product instance id must be ASCII');
  return packStreamText(StreamStatus.ProductInstanceId, bytes, 0);
}

/** Function Block Name: UTF-8, at most 91 bytes, 13 bytes per packet. */
export function packFunctionBlockName(functionBlock: number, name: string): Uint32Array {
  checkRange('functionBlock', functionBlock, 0, 0x7f);
  return packStreamText(StreamStatus.FunctionBlockName, encodeText('function block name', name), functionBlock);
}

const KNOWN_STATUSES: ReadonlySet<number> = new Set(Object.values(StreamStatus));

/** True for the statuses this module decodes. */
export function isKnownStreamStatus(status: number): boolean {
  return KNOWN_STATUSES.has(status);
}

/** True for the statuses whose messages span packets (names, product instance id). */
export function isStreamTextStatus(status: number): boolean {
  return TEXT_LAYOUTS.has(status);
}

/**
 * Decodes one UMP Stream packet. Text statuses give their packet view; reserved statuses give undefined
 * (the caller reports them as unknown).
 */
export function decodeStreamPacket(words: Uint32Array, offset = 0): StreamPacket | undefined {
  const w0 = words[offset]!;
  const w1 = words[offset + 1]!;
  const status = (w0 >>> 16) & 0x3ff;
  const layout = TEXT_LAYOUTS.get(status);
  if (layout) {
    const format = segmentFormatName((w0 >>> 26) & 3);
    const data = packetBytes(words, offset, layout.first, 16 - layout.first);
    return layout.first === 3 ? { kind: layout.kind, format, functionBlock: (w0 >>> 8) & 0xff, data } : { kind: layout.kind, format, data };
  }
  const on = (w: number, b: number): boolean => ((w >>> b) & 1) === 1;
  switch (status) {
    case StreamStatus.EndpointDiscovery:
      return { kind: 'endpoint-discovery', umpVersionMajor: (w0 >>> 8) & 0xff, umpVersionMinor: w0 & 0xff, filter: w1 & 0xff };
    case StreamStatus.EndpointInfo:
      return {
        kind: 'endpoint-info',
        umpVersionMajor: (w0 >>> 8) & 0xff,
        umpVersionMinor: w0 & 0xff,
        staticFunctionBlocks: on(w1, 31),
        functionBlockCount: (w1 >>> 24) & 0x7f,
        midi2: on(w1, 9),
        midi1: on(w1, 8),
        rxJr: on(w1, 1),
        txJr: on(w1, 0),
      };
    case StreamStatus.DeviceIdentity: {
      const w2 = words[offset + 2]!;
      return {
        kind: 'device-identity',
        manufacturerId: w1 & 0x7f7f7f,
        familyId: ((w2 >>> 24) & 0x7f) | (((w2 >>> 16) & 0x7f) << 7),
        modelId: ((w2 >>> 8) & 0x7f) | ((w2 & 0x7f) << 7),
        softwareRevision: (words[offset + 3]! & 0x7f7f7f7f) >>> 0,
      };
    }
    case StreamStatus.StreamConfigRequest:
    case StreamStatus.StreamConfigNotification:
      return {
        kind: status === StreamStatus.StreamConfigRequest ? 'stream-config-request' : 'stream-config-notification',
        protocol: (w0 >>> 8) & 0xff,
        rxJr: on(w0, 1),
        txJr: on(w0, 0),
      };
    case StreamStatus.FunctionBlockDiscovery:
      return { kind: 'fb-discovery', functionBlock: (w0 >>> 8) & 0xff, filter: w0 & 0xff };
    case StreamStatus.FunctionBlockInfo:
      return {
        kind: 'fb-info',
        active: on(w0, 15),
        functionBlock: (w0 >>> 8) & 0x7f,
        uiHint: (w0 >>> 4) & 3,
        midi1: (w0 >>> 2) & 3,
        direction: w0 & 3,
        firstGroup: w1 >>> 24,
        groupCount: (w1 >>> 16) & 0xff,
        midiCiVersion: (w1 >>> 8) & 0xff,
        maxSysEx8Streams: w1 & 0xff,
      };
    case StreamStatus.StartOfClip:
      return { kind: 'start-of-clip' };
    case StreamStatus.EndOfClip:
      return { kind: 'end-of-clip' };
    default:
      return undefined;
  }
}

type StreamTextSink = ErrorSink & { push(m: EndpointNameMessage | ProductInstanceIdMessage | FunctionBlockNameMessage): unknown };

/** Reassembly step for one Endpoint Name / Product Instance Id / Function Block Name packet. */
export function acceptStreamText(table: OpenMessageTable, words: Uint32Array, offset: number, wordIndex: number, sink: StreamTextSink): void {
  const w0 = words[offset]!;
  const status = (w0 >>> 16) & 0x3ff;
  const layout = TEXT_LAYOUTS.get(status)!;
  const functionBlock = layout.first === 3 ? (w0 >>> 8) & 0xff : 0;
  const format = (w0 >>> 26) & 3;
  const key = streamTextKey(status, functionBlock);
  const n = 16 - layout.first;
  const maxBytes = Math.min(layout.maxBytes, table.limits.maxMessageBytes);
  const target = segmentTarget(table, key, format, n, maxBytes, wordIndex, sink);
  if (!target) return;
  const p = target.length;
  for (let i = 0; i < n; i++) {
    const b = layout.first + i;
    target.bytes[p + i] = (words[offset + (b >>> 2)]! >>> (24 - 8 * (b & 3))) & 0xff;
  }
  target.length = p + n;
  const data = segmentResult(table, key, format, target);
  if (!data) return;
  try {
    const { label, context } = describeKey(key, wordIndex);
    const text = decodeText(data, label, context);
    if (layout.kind === 'endpoint-name') sink.push({ kind: 'endpoint-name', name: text });
    else if (layout.kind === 'product-instance-id') sink.push({ kind: 'product-instance-id', id: text });
    else sink.push({ kind: 'fb-name', functionBlock, name: text });
  } catch (err) {
    rejectPacket(table, key, err, wordIndex, sink);
  }
}
