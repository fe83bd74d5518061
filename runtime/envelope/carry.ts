/**
 * Envelopes on SysEx8 and back, through the UMP core's public surface only (runtime/ump/index.ts):
 * SysEx8 data = `00 7D 01` (manufacturer id 0x007D, midl sub-id 1) + one encoded envelope, one SysEx8
 * message per envelope on a (group, stream id). Payloads above `maxChunkPayload` travel as several
 * chunk envelopes, i.e. several consecutive SysEx8 messages on the same stream.
 */
import { decodeMidlSysEx8, encodeMidlSysEx8, isMidlSysEx8, type SysEx8Message, type SysEx8Options } from '../ump/index.ts';
import { chunkPayload } from './chunk.ts';
import { EnvelopeError, EnvelopeErrorCode as E } from './errors.ts';
import { DEFAULT_MAX_ENVELOPE_PAYLOAD, decodeEnvelope, encodeEnvelope, type DecodedEnvelope, type EnvelopeHeader, type EnvelopeLimits } from './header.ts';

export interface SysEx8CarryOptions extends SysEx8Options {
  /** Payloads longer than this are chunked; default 64 KiB (the default envelope payload limit). */
  readonly maxChunkPayload?: number;
}

/** One encoded envelope as the packets of one SysEx8 message. */
export function envelopeToSysEx8(envelope: Uint8Array, options: SysEx8Options): Uint32Array {
  return encodeMidlSysEx8(envelope, options);
}

/** Encodes `payload` under `header` (chunked when larger than `maxChunkPayload`) as SysEx8 packets. */
export function messageToSysEx8(header: EnvelopeHeader, payload: Uint8Array, options: SysEx8CarryOptions): Uint32Array {
  const max = options.maxChunkPayload ?? DEFAULT_MAX_ENVELOPE_PAYLOAD;
  if (payload.length <= max && header.chunk === undefined) return envelopeToSysEx8(encodeEnvelope(header, payload, { maxPayloadBytes: max }), options);
  const parts = chunkPayload(header, payload, max).map((env) => envelopeToSysEx8(env, options));
  const words = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    words.set(p, at);
    at += p.length;
  }
  return words;
}

/**
 * The envelope in a reassembled SysEx8 message (or its data). Throws `EnvelopeError`:
 * 'missing-envelope' when the data lacks the midl prefix, otherwise whatever `decodeEnvelope` finds.
 * The payload is a view into the message data.
 */
export function envelopeFromSysEx8(message: SysEx8Message | Uint8Array, limits?: EnvelopeLimits): DecodedEnvelope {
  const data = message instanceof Uint8Array ? message : message.data;
  if (!isMidlSysEx8(data)) {
    const head = Array.from(data.subarray(0, 3), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new EnvelopeError(E.MissingEnvelope, `SysEx8 data does not start with the midl prefix 00 7d 01 (got "${head}")`, { offset: 0 });
  }
  return decodeEnvelope(decodeMidlSysEx8(data), limits);
}
