/**
 * Link words → bus frames: the one reassembler of a link's traffic (the runtime's UmpReader, with the
 * runtime's limits), then the lane of each reassembled message's carrier. The bus reads its peers with
 * it, and so does every tap that watches a link (recorders, replay reports, monitors), so what they
 * see is exactly what the bus sees, bounded the same way.
 */
import { UmpError, UmpErrorCode, UmpReader, encodeMessage, mcoded7Length, type UmpMessage } from '../ump/index.ts';
import { FrameError } from './frame.ts';
import type { IncomingData, LaneReadContext, ReceivedFrame } from './lane.ts';
import type { FlexFrame } from './flex-frame.ts';
import { laneOfCarrier } from './registry.ts';

export interface FrameReaderOptions {
  /** Largest frame, in frame bytes (binary lanes) or UTF-8 bytes of text (flex lane). */
  readonly maxFrameBytes: number;
  /** How a flex frame's JSON body becomes the binary payload (the topic's codec). */
  readonly fromJson: (frame: FlexFrame) => IncomingData;
  /** Frames carry the exact packets they arrived in (for recorders). */
  readonly keepPackets?: boolean;
  /** Messages open at once on the link (default 512: the bus changes SysEx8 stream ids per frame). */
  readonly maxOpenStreams?: number;
  /** Bytes held by all open messages together (default 8 × the largest carrier message, at least 8 MiB). */
  readonly maxBufferedBytes?: number;
  /** An open message silent this long is dropped (default 5000 ms). */
  readonly timeoutMs?: number;
  /**
   * A message refused for breaking a limit (too large, too many open at once): the sender's doing, not
   * the path's, so the reader's owner may want to say so (gaps and timeouts, which loss causes, are only counted).
   */
  readonly onLimit?: (error: UmpError) => void;
  /**
   * A complete UMP message on the link that is not a bus frame (a note from a keyboard, a foreign SysEx,
   * a MIDI 2.0 controller), as its packets; without it such traffic is passed over.
   */
  readonly onForeign?: (words: Uint32Array) => void;
}

/** What one push yields: frames, and frames that were bus frames but did not decode. */
export type FrameReadResult = ReceivedFrame | FrameError;

export class BusFrameReader {
  private readonly reader: UmpReader;
  private readonly context: LaneReadContext;
  private readonly onLimit: ((error: UmpError) => void) | undefined;
  private readonly onForeign: ((words: Uint32Array) => void) | undefined;
  /** UMP-level problems seen (gaps, aborted or oversized messages): the QoS layer repairs what they lost. */
  umpErrors = 0;

  constructor(options: FrameReaderOptions) {
    // The largest carrier message: a frame in Mcoded7 (sysex7 lane) is 8/7 of its bytes, plus the prefix.
    const maxMessageBytes = mcoded7Length(options.maxFrameBytes) + 2;
    this.reader = new UmpReader({
      maxMessageBytes,
      maxOpenStreams: options.maxOpenStreams ?? 512,
      maxBufferedBytes: options.maxBufferedBytes ?? Math.max(8 * maxMessageBytes, 8 * 1024 * 1024),
      timeoutMs: options.timeoutMs ?? 5_000,
      keepPackets: options.keepPackets === true,
    });
    this.context = { maxFrameBytes: options.maxFrameBytes, fromJson: options.fromJson };
    this.onLimit = options.onLimit;
    this.onForeign = options.onForeign;
  }

  /** Bytes held for messages not yet complete. */
  get bufferedBytes(): number {
    return this.reader.bufferedBytes;
  }

  push(words: Uint32Array): FrameReadResult[] {
    const out: FrameReadResult[] = [];
    for (const ev of this.reader.push(words)) {
      if (ev instanceof UmpError) {
        this.umpErrors++;
        if (ev.code === UmpErrorCode.TooLarge || ev.code === UmpErrorCode.TooManyStreams) this.onLimit?.(ev);
        continue;
      }
      const lane = laneOfCarrier(ev.kind);
      try {
        const frame = lane?.decode(ev as Parameters<typeof lane.decode>[0], this.context);
        if (frame) out.push(frame);
        else if (this.onForeign) this.onForeign(packetsOf(ev)); // other UMP traffic on the link is not the bus's
      } catch (err) {
        if (err instanceof FrameError) out.push(err);
        else throw err;
      }
    }
    return out;
  }
}

/** The packets a reassembled message arrived in: kept by the reader, or the same packets again. */
function packetsOf(message: UmpMessage): Uint32Array {
  if (message.kind === 'unknown') return message.words;
  return 'packets' in message && message.packets ? message.packets : encodeMessage(message);
}
