import { UmpError, UmpErrorCode } from './errors.ts';
import { packFlexData, packFlexText, type FlexMessage, type FlexPacket, type FlexTextMessage } from './flex.ts';
import { packMds, type MdsHeaderPacket, type MdsMessage, type MdsPayloadPacket } from './mds.ts';
import { packetWordCount } from './mt.ts';
import {
  encodeDeviceIdentity,
  encodeEndOfClip,
  encodeEndpointDiscovery,
  encodeEndpointInfo,
  encodeFunctionBlockDiscovery,
  encodeFunctionBlockInfo,
  encodeStartOfClip,
  encodeStreamConfigNotification,
  encodeStreamConfigRequest,
  packEndpointName,
  packFunctionBlockName,
  packProductInstanceId,
  type StreamMessage,
  type StreamPacket,
} from './stream.ts';
import { packSysEx7, type SysEx7Message, type SysEx7Packet } from './sysex7.ts';
import { packSysEx8, type SysEx8Message, type SysEx8Packet } from './sysex8.ts';
import { encodeDeltaClockstamp, encodeDeltaClockstampTpq, encodeJrClock, encodeJrTimestamp, encodeNoop, type UtilityMessage } from './utility.ts';

/** A packet of a message type / status midl does not interpret, kept whole (sized by its MT). */
export interface UnknownMessage {
  readonly kind: 'unknown';
  readonly mt: number;
  readonly words: Uint32Array;
}

/** A complete message: what the reader emits and what `encodeMessage` packs. */
export type UmpMessage = UtilityMessage | SysEx7Message | SysEx8Message | MdsMessage | FlexMessage | FlexTextMessage | StreamMessage | UnknownMessage;

/** A single packet, field by field, as `decodePacket` shows it (no reassembly). */
export type UmpPacket = UtilityMessage | SysEx7Packet | SysEx8Packet | MdsHeaderPacket | MdsPayloadPacket | FlexPacket | StreamPacket | UnknownMessage;

/** Packs any message into its UMP packets (the inverse of UmpReader for every kind). */
export function encodeMessage(m: UmpMessage): Uint32Array {
  switch (m.kind) {
    case 'noop':
      return encodeNoop();
    case 'jr-clock':
      return encodeJrClock(m.value);
    case 'jr-timestamp':
      return encodeJrTimestamp(m.value);
    case 'delta-clockstamp-tpq':
      return encodeDeltaClockstampTpq(m.value);
    case 'delta-clockstamp':
      return encodeDeltaClockstamp(m.value);
    case 'sysex7':
      return packSysEx7(m.data, m);
    case 'sysex8':
      return packSysEx8(m.data, m);
    case 'mds':
      return packMds(m.data, m);
    case 'flex':
      return packFlexData(m.data, m);
    case 'flex-text':
      return packFlexText(m.text, m);
    case 'endpoint-discovery':
      return encodeEndpointDiscovery(m);
    case 'endpoint-info':
      return encodeEndpointInfo(m);
    case 'device-identity':
      return encodeDeviceIdentity(m);
    case 'endpoint-name':
      return packEndpointName(m.name);
    case 'product-instance-id':
      return packProductInstanceId(m.id);
    case 'stream-config-request':
      return encodeStreamConfigRequest(m);
    case 'stream-config-notification':
      return encodeStreamConfigNotification(m);
    case 'fb-discovery':
      return encodeFunctionBlockDiscovery(m);
    case 'fb-info':
      return encodeFunctionBlockInfo(m);
    case 'fb-name':
      return packFunctionBlockName(m.functionBlock, m.name);
    case 'start-of-clip':
      return encodeStartOfClip();
    case 'end-of-clip':
      return encodeEndOfClip();
    case 'unknown':
      return encodeUnknown(m);
    default: {
      const never: never = m;
      throw new UmpError(UmpErrorCode.InvalidField, `unknown message kind ${String((never as { kind: unknown }).kind)}`);
    }
  }
}

function encodeUnknown(m: UnknownMessage): Uint32Array {
  const w0 = m.words[0];
  if (!(m.words instanceof Uint32Array) || w0 === undefined || w0 >>> 28 !== m.mt || m.words.length !== packetWordCount(w0)) {
    throw new UmpError(UmpErrorCode.InvalidField, `unknown message: words must be one whole packet of MT ${m.mt}`);
  }
  return m.words.slice();
}
