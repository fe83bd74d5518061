/**
 * The bus's frames on UMP, one lane per carrier (docs/wire.md § Bus frames): the binary frames
 * (frame.ts data, control.ts control), the flex lane's JSON text frames (flex-frame.ts), the lane
 * contract (lane.ts), the lanes (sysex8.ts, sysex7.ts, flex.ts; registry.ts names them) and the reader
 * every consumer of a link's traffic shares (frame-reader.ts). runtime/index.ts re-exports what tools
 * outside the runtime may use: lane names, the reader, and the frame types it yields.
 */
export {
  LANE_NAMES,
  type CarrierMessage,
  type EncodedFrame,
  type IncomingData,
  type Lane,
  type LaneName,
  type LaneReadContext,
  type OutgoingData,
  type ReceivedFrame,
} from './lane.ts';
export { LANES, laneOfCarrier } from './registry.ts';
export { BusFrameReader, type FrameReadResult, type FrameReaderOptions } from './frame-reader.ts';
export {
  CONTROL_GROUP,
  CONTROL_SUB_ID,
  DATA_GROUP,
  DATA_SUB_ID,
  FLAG_RETRANSMISSION,
  FrameError,
  FrameKind,
  MAX_ADDRESS_BYTES,
  decodeDataFrame,
  encodeDataFrame,
  frameOf,
  payloadWithinSysEx7,
  type DataFrame,
} from './frame.ts';
export {
  ControlKind,
  NACK_REASONS,
  MAX_LIST,
  decodeControl,
  encodeControl,
  type Control,
  type Interest,
  type NackReason,
  type ResumeRequest,
} from './control.ts';
export { FLEX_FRAME, decodeFlexFrame, encodeFlexFrame, encodeFlexFrameText, isFlexFrame, type FlexFrame } from './flex-frame.ts';
