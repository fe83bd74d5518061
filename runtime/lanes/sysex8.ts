/**
 * The sysex8 lane: a bus frame (frame.ts, control.ts) as one SysEx8 message, data frames on group 1
 * with a stream id that changes per transmission, control frames on group 0 stream 0. The default lane
 * on UMP transports: 13 bytes per 128-bit packet, binary payloads as they are.
 */
import { decodeControl, encodeControl } from './control.ts';
import { CONTROL_GROUP, CONTROL_SUB_ID, DATA_GROUP, FrameError, decodeDataFrame, encodeDataFrame, frameOf, frameToUmp, markRetransmission } from './frame.ts';
import type { CarrierMessage, EncodedFrame, Lane, LaneReadContext, OutgoingData, ReceivedFrame } from './lane.ts';

export const sysex8Lane: Lane = {
  name: 'sysex8',
  carrier: 'sysex8',
  encode(f: OutgoingData): EncodedFrame {
    const bytes = encodeDataFrame(f.kind, 0, f.seq, f.address, f.header, f.payload, f.maxPayloadBytes);
    return {
      packets(retransmission, stream) {
        if (retransmission) markRetransmission(bytes);
        return frameToUmp(bytes, DATA_GROUP, stream & 0xff);
      },
    };
  },
  encodeControl: (control) => frameToUmp(encodeControl(control), CONTROL_GROUP, 0),
  decode(message: CarrierMessage, context: LaneReadContext): ReceivedFrame | undefined {
    if (message.kind !== 'sysex8') return undefined;
    return readFrameBytes(message.data, context, 'sysex8', message.packets);
  },
};

/** The bus frame in frame bytes (`00 7D <sub-id>` body CRC), or undefined for foreign data; throws FrameError. */
export function readFrameBytes(
  data: Uint8Array,
  context: LaneReadContext,
  lane: 'sysex8' | 'sysex7',
  packets: Uint32Array | undefined,
): ReceivedFrame | undefined {
  const frame = frameOf(data);
  if (!frame) return undefined;
  if (data.length > context.maxFrameBytes) throw new FrameError(`frame of ${data.length} bytes exceeds ${context.maxFrameBytes}`, 0);
  if (frame.subId === CONTROL_SUB_ID) return { kind: 'control', control: decodeControl(frame.body), packets };
  return { kind: 'data', lane, frame: decodeDataFrame(frame.body, context.maxFrameBytes), packets };
}
