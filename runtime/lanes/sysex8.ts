/**
 * The sysex8 lane: a bus frame (frame.ts, control.ts) as one SysEx8 message, data frames on group 1
 * with a stream id that changes per transmission, control frames on group 0 stream 0. The default lane
 * on UMP transports: 13 bytes per 128-bit packet, binary payloads as they are.
 */
import type { SysEx8Message } from '../ump/index.ts';
import { binaryLane } from './binary-lane.ts';
import { frameToUmp } from './frame.ts';

export const sysex8Lane = binaryLane<SysEx8Message>({
  lane: 'sysex8',
  kind: 'sysex8',
  pack: (frame, group, stream) => frameToUmp(frame, group, stream & 0xff),
  unpack: (message) => message.data,
});
