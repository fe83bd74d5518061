/**
 * A lane for the binary frames (frame.ts data, control.ts control), given how its carrier holds frame
 * bytes: the sysex8 lane holds them as they are, the sysex7 lane in Mcoded7. Everything else — the data
 * frame built once, the retransmission flag and checksum on copies, data on group 1 and control on
 * group 0, the size bound and the frame decoders — is the same for both, so it is here once.
 */
import { decodeControl, encodeControl } from './control.ts';
import { CONTROL_GROUP, CONTROL_SUB_ID, DATA_GROUP, FrameError, decodeDataFrame, encodeDataFrame, frameOf, markRetransmission } from './frame.ts';
import type { CarrierMessage, Lane, LaneName, LaneReadContext, ReceivedFrame } from './lane.ts';

export interface BinaryCarrier<M extends CarrierMessage> {
  readonly lane: LaneName;
  readonly kind: M['kind'];
  /** Packets of frame bytes (`00 7D <sub-id>` body CRC) on `group`; `stream` varies per transmission where the carrier has stream ids. */
  pack(frame: Uint8Array, group: number, stream: number): Uint32Array;
  /** The frame bytes a message holds, or undefined for a message that is not a bus frame; throws FrameError. */
  unpack(message: M): Uint8Array | undefined;
}

export function binaryLane<M extends CarrierMessage>(carrier: BinaryCarrier<M>): Lane {
  return {
    name: carrier.lane,
    carrier: carrier.kind,
    encode(f) {
      const bytes = encodeDataFrame(f.kind, 0, f.seq, f.address, f.header, f.payload, f.maxPayloadBytes);
      return {
        packets(retransmission, stream) {
          if (retransmission) markRetransmission(bytes);
          return carrier.pack(bytes, DATA_GROUP, stream);
        },
      };
    },
    encodeControl: (control) => carrier.pack(encodeControl(control), CONTROL_GROUP, 0),
    decode(message: CarrierMessage, context: LaneReadContext): ReceivedFrame | undefined {
      if (message.kind !== carrier.kind) return undefined;
      const data = carrier.unpack(message as M);
      const frame = data && frameOf(data);
      if (!data || !frame) return undefined;
      if (data.length > context.maxFrameBytes) throw new FrameError(`frame of ${data.length} bytes exceeds ${context.maxFrameBytes}`, 0);
      const { packets } = message;
      if (frame.subId === CONTROL_SUB_ID) return { kind: 'control', control: decodeControl(frame.body), packets };
      return { kind: 'data', lane: carrier.lane, frame: decodeDataFrame(frame.body, context.maxFrameBytes), packets };
    },
  };
}
