/**
 * The sysex7 lane: a bus frame over 7-bit SysEx, for MIDI 1.0 byte transports (hardware ports,
 * RTP-MIDI) that cannot carry SysEx8. The message data is `7D <sub-id>` + Mcoded7 of the frame body and
 * its CRC-32, where the frame bytes and the checksum are exactly those of the sysex8 lane
 * (`00 7D <sub-id>` body CRC): the two lanes carry the same frames. Data frames on group 1, control
 * frames on group 0. SysEx7 has no stream id, so a sender finishes one message on a group before the
 * next (a bus sends each frame whole).
 */
import { MIDL_MANUFACTURER_ID, decodeMcoded7, encodeMcoded7, packSysEx7 } from '../ump/index.ts';
import { encodeControl } from './control.ts';
import { CONTROL_GROUP, CONTROL_SUB_ID, DATA_GROUP, DATA_SUB_ID, FrameError, encodeDataFrame, markRetransmission } from './frame.ts';
import type { CarrierMessage, EncodedFrame, Lane, LaneReadContext, OutgoingData, ReceivedFrame } from './lane.ts';
import { readFrameBytes } from './sysex8.ts';

/** SysEx7 data of frame bytes `00 7D <sub-id> rest`: `7D <sub-id>` + Mcoded7(rest). */
function sysEx7Data(frame: Uint8Array): Uint8Array {
  const coded = encodeMcoded7(frame.subarray(3));
  const data = new Uint8Array(2 + coded.length);
  data[0] = MIDL_MANUFACTURER_ID;
  data[1] = frame[2]!;
  data.set(coded, 2);
  return data;
}

export const sysex7Lane: Lane = {
  name: 'sysex7',
  carrier: 'sysex7',
  encode(f: OutgoingData): EncodedFrame {
    const bytes = encodeDataFrame(f.kind, 0, f.seq, f.address, f.header, f.payload, f.maxPayloadBytes);
    return {
      packets(retransmission) {
        if (retransmission) markRetransmission(bytes);
        return packSysEx7(sysEx7Data(bytes), { group: DATA_GROUP });
      },
    };
  },
  encodeControl: (control) => packSysEx7(sysEx7Data(encodeControl(control)), { group: CONTROL_GROUP }),
  decode(message: CarrierMessage, context: LaneReadContext): ReceivedFrame | undefined {
    if (message.kind !== 'sysex7') return undefined;
    const { data } = message;
    if (data.length < 2 || data[0] !== MIDL_MANUFACTURER_ID || (data[1] !== DATA_SUB_ID && data[1] !== CONTROL_SUB_ID)) return undefined;
    let rest: Uint8Array;
    try {
      rest = decodeMcoded7(data.subarray(2));
    } catch (err) {
      throw new FrameError(`SysEx7 frame: ${(err as Error).message}`, 2);
    }
    const frame = new Uint8Array(3 + rest.length);
    frame[1] = MIDL_MANUFACTURER_ID;
    frame[2] = data[1];
    frame.set(rest, 3);
    return readFrameBytes(frame, context, 'sysex7', message.packets);
  },
};
