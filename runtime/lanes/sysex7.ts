/**
 * The sysex7 lane: a bus frame over 7-bit SysEx, for MIDI 1.0 byte transports (hardware ports,
 * RTP-MIDI) that cannot carry SysEx8. The message data is `7D <sub-id>` + Mcoded7 of the frame body and
 * its CRC-32, where the frame bytes and the checksum are exactly those of the sysex8 lane
 * (`00 7D <sub-id>` body CRC): the two lanes carry the same frames. Data frames on group 1, control
 * frames on group 0. SysEx7 has no stream id, so a sender finishes one message on a group before the
 * next (a bus sends each frame whole).
 */
import { MIDL_MANUFACTURER_ID, decodeMcoded7, encodeMcoded7, packSysEx7, type SysEx7Message } from '../ump/index.ts';
import { binaryLane } from './binary-lane.ts';
import { CONTROL_SUB_ID, DATA_SUB_ID, FrameError } from './frame.ts';

export const sysex7Lane = binaryLane<SysEx7Message>({
  lane: 'sysex7',
  kind: 'sysex7',
  pack(frame, group) {
    // `00 7D <sub-id> rest` → `7D <sub-id>` + Mcoded7(rest).
    const coded = encodeMcoded7(frame.subarray(3));
    const data = new Uint8Array(2 + coded.length);
    data[0] = MIDL_MANUFACTURER_ID;
    data[1] = frame[2]!;
    data.set(coded, 2);
    return packSysEx7(data, { group });
  },
  unpack({ data }) {
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
    return frame;
  },
});
