/**
 * The flex lane: a data frame as one Flex Data text message of readable JSON (flex-frame.ts), the
 * payload in its codec's JSON form. For topics whose traffic people and tools read (the SSE stream, LLM
 * tool calls, the Flex bridge intents). Control frames never travel here.
 */
import { FLAG_RETRANSMISSION } from './frame.ts';
import { decodeFlexFrame, encodeFlexFrame, isFlexFrame } from './flex-frame.ts';
import type { CarrierMessage, EncodedFrame, Lane, LaneReadContext, OutgoingData, ReceivedFrame } from './lane.ts';

export const flexLane: Lane = {
  name: 'flex',
  carrier: 'flex-text',
  encode(f: OutgoingData): EncodedFrame {
    const body = f.json();
    const frame = (flags: number) => encodeFlexFrame({ kind: f.kind, flags, seq: f.seq, address: f.address, header: f.header, body });
    let first: Uint32Array | undefined;
    let copy: Uint32Array | undefined;
    return {
      packets: (retransmission) => (retransmission ? (copy ??= frame(FLAG_RETRANSMISSION)) : (first ??= frame(0))),
    };
  },
  decode(message: CarrierMessage, context: LaneReadContext): ReceivedFrame | undefined {
    if (message.kind !== 'flex-text' || !isFlexFrame(message)) return undefined;
    return { kind: 'data', lane: 'flex', frame: context.fromJson(decodeFlexFrame(message.text, context.maxFrameBytes)), packets: message.packets };
  },
};
