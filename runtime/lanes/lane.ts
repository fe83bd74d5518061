/**
 * The lane contract: how one bus frame travels as UMP. A lane turns an outgoing data frame into its
 * packets (again, flagged, for each retransmitted copy) and recognises the frames among reassembled
 * UMP messages of its carrier; the bus and every tap read frames through the same lanes
 * (frame-reader.ts). Binary lanes (SysEx8, SysEx7) carry the frame bytes of frame.ts and control.ts;
 * the flex lane carries a JSON text frame (flex-frame.ts). One module per lane; lanes/index.ts names them.
 */
import type { JsonValue } from '../codec/index.ts';
import type { EnvelopeHeader } from '../envelope/index.ts';
import type { SysEx7Message, SysEx8Message, FlexTextMessage } from '../ump/index.ts';
import type { Control } from './control.ts';
import type { FlexFrame } from './flex-frame.ts';
import type { DataFrame, FrameKind } from './frame.ts';

/** The lanes a topic may declare (`lane:` in a schema): one framer each. */
export const LANE_NAMES = ['sysex8', 'flex', 'sysex7'] as const;
export type LaneName = (typeof LANE_NAMES)[number];

/** What a lane needs of an outgoing data frame. */
export interface OutgoingData {
  readonly kind: FrameKind;
  readonly seq: bigint;
  readonly address: string;
  readonly header: EnvelopeHeader;
  /** The payload in the topic's binary encoding. */
  readonly payload: Uint8Array;
  /** Largest payload the frame may carry (the receiving session's limit). */
  readonly maxPayloadBytes: number;
  /** The payload's JSON form (the topic codec's toJSON), for lanes that carry text. */
  json(): JsonValue;
}

/** An outgoing frame, encoded once: its packets for the first transmission or for a retransmitted copy. */
export interface EncodedFrame {
  /**
   * The frame's packets; `retransmission` sets the frame's retransmission flag (and the checksum that
   * covers it). `stream` varies per transmission on carriers with stream ids (SysEx8), so a copy never
   * continues a half-received earlier copy.
   */
  packets(retransmission: boolean, stream: number): Uint32Array;
}

/** A data frame as received: a flex frame's JSON body already turned into the binary payload, or why it could not be. */
export type IncomingData = DataFrame & { readonly invalid?: string | undefined; readonly value?: unknown };

/** A bus frame found among the reassembled messages of a link. */
export type ReceivedFrame =
  | { readonly kind: 'control'; readonly control: Control; readonly packets: Uint32Array | undefined }
  | { readonly kind: 'data'; readonly lane: LaneName; readonly frame: IncomingData; readonly packets: Uint32Array | undefined };

/** What a lane needs to read frames: the size bound, and (flex) how a JSON body becomes the binary payload. */
export interface LaneReadContext {
  readonly maxFrameBytes: number;
  fromJson(frame: FlexFrame): IncomingData;
}

/** Reassembled UMP messages a lane may be handed (each lane declares which kind it reads). */
export type CarrierMessage = SysEx8Message | SysEx7Message | FlexTextMessage;

export interface Lane {
  readonly name: LaneName;
  /** The kind of reassembled UMP message this lane's frames arrive as; no two lanes share one. */
  readonly carrier: CarrierMessage['kind'];
  encode(frame: OutgoingData): EncodedFrame;
  /** The packets of a control frame, on lanes that carry control frames (the binary ones). */
  encodeControl?(control: Control): Uint32Array;
  /**
   * The bus frame in `message` (of this lane's carrier), or undefined when the message is not a bus
   * frame (other UMP traffic on the link). Throws FrameError for a bus frame that does not decode.
   */
  decode(message: CarrierMessage, context: LaneReadContext): ReceivedFrame | undefined;
}
