/** UMP message types (word 0 bits 31..28), M2-104-UM v1.1. */
export const MessageType = {
  Utility: 0x0,
  System: 0x1,
  Midi1ChannelVoice: 0x2,
  Data64: 0x3,
  Midi2ChannelVoice: 0x4,
  Data128: 0x5,
  FlexData: 0xd,
  UmpStream: 0xf,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/**
 * Packet size in 32-bit words for each MT 0x0..0xF, reserved MTs included, so that a parser skips
 * traffic it does not understand instead of misreading it (ni-midi2 `size_lookup`, JZZ agree).
 */
export const WORDS_BY_MT: readonly number[] = Object.freeze([1, 1, 1, 2, 2, 4, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4]);

/** The MT nibble of a packet's first word. */
export function messageTypeOf(word0: number): number {
  return word0 >>> 28;
}

/** Number of words of the packet that starts with `word0`. */
export function packetWordCount(word0: number): number {
  return WORDS_BY_MT[word0 >>> 28] ?? 4;
}

/**
 * The Complete / Start / Continue / End field shared by SysEx7 and SysEx8 (status), Flex Data (format)
 * and UMP Stream text messages (format).
 */
export const SegmentFormat = {
  Complete: 0,
  Start: 1,
  Continue: 2,
  End: 3,
} as const;
export type SegmentFormat = (typeof SegmentFormat)[keyof typeof SegmentFormat];

export const SEGMENT_FORMAT_NAMES = ['complete', 'start', 'continue', 'end'] as const;
export type SegmentFormatName = (typeof SEGMENT_FORMAT_NAMES)[number];

/** Name of a 2-bit segment format value. */
export function segmentFormatName(format: number): SegmentFormatName {
  return SEGMENT_FORMAT_NAMES[format & 3] ?? 'complete';
}

/**
 * The segment format for packet `index` of `count` packets: a single packet is Complete, otherwise
 * Start, Continue…, End.
 */
export function segmentFormatFor(index: number, count: number): SegmentFormat {
  if (count === 1) return SegmentFormat.Complete;
  if (index === 0) return SegmentFormat.Start;
  return index === count - 1 ? SegmentFormat.End : SegmentFormat.Continue;
}
