/**
 * Property Exchange bodies: the three encodings and chunking to a receiver's maximum SysEx size.
 *
 * ASCII: the body bytes as they are, 7-bit only (JSON escapes non-ASCII as \uXXXX, `encodeAsciiJson`).
 * Mcoded7: 8-bit data in 7-bit bytes (runtime/ump mcoded7.ts). zlib+Mcoded7: zlib-compressed
 * (RFC 1950, what `CompressionStream('deflate')` makes in Node ≥ 18 and browsers), then Mcoded7; these two
 * are async because the streams are. Decompression stops at `maxBytes`, so a small hostile body cannot
 * make us allocate more than that.
 */
import { UmpError } from '../ump/errors.ts';
import { decodeMcoded7, encodeMcoded7 } from '../ump/mcoded7.ts';
import { CI_VERSION_1_2, PeEncoding } from './constants.ts';
import { CI_HEADER_BYTES } from './codec.ts';
import { CiError, CiErrorCode as E, check7BitBytes, checkInt } from './errors.ts';
import type { CiHeader, CiPeKind, CiPeMessage } from './messages.ts';

/** Default bound of a decoded body. */
export const DEFAULT_PE_BODY_MAX_BYTES = 4 * 1024 * 1024;

/** Encodes body data for the wire in `encoding`. ASCII data must be 7-bit already (a `bad-field` CiError otherwise). */
export async function encodePeBody(data: Uint8Array, encoding: PeEncoding): Promise<Uint8Array> {
  switch (encoding) {
    case PeEncoding.Ascii:
      return check7BitBytes('ASCII body', data);
    case PeEncoding.Mcoded7:
      return encodeMcoded7(data);
    case PeEncoding.ZlibMcoded7:
      return encodeMcoded7(await pipe(data, new CompressionStream('deflate'), Number.POSITIVE_INFINITY));
    default:
      throw new CiError(E.BadField, `unknown PE encoding ${JSON.stringify(encoding)}`);
  }
}

/** Decodes a reassembled body from `encoding`; a `CiError` for bytes that do not decode or a result over `maxBytes`. Never throws. */
export async function decodePeBody(body: Uint8Array, encoding: PeEncoding, maxBytes = DEFAULT_PE_BODY_MAX_BYTES): Promise<Uint8Array | CiError> {
  if (!(body instanceof Uint8Array)) return new CiError(E.BadField, 'body must be a Uint8Array', 0);
  switch (encoding) {
    case PeEncoding.Ascii:
      for (let i = 0; i < body.length; i++) if (body[i]! > 0x7f) return new CiError(E.Not7Bit, 'ASCII body byte is not 7-bit', i);
      return body.length > maxBytes ? new CiError(E.TooLarge, `body of ${body.length} bytes exceeds ${maxBytes}`, maxBytes) : body;
    case PeEncoding.Mcoded7:
    case PeEncoding.ZlibMcoded7: {
      let raw: Uint8Array;
      try {
        raw = decodeMcoded7(body);
      } catch (e) {
        if (e instanceof UmpError) return new CiError(E.BadBody, e.message, 0);
        throw e;
      }
      if (encoding === PeEncoding.Mcoded7) return raw.length > maxBytes ? new CiError(E.TooLarge, `body of ${raw.length} bytes exceeds ${maxBytes}`, 0) : raw;
      try {
        return await pipe(raw, new DecompressionStream('deflate'), maxBytes);
      } catch (e) {
        if (e instanceof CiError) return e;
        return new CiError(E.BadBody, `zlib body does not inflate: ${e instanceof Error ? e.message : String(e)}`, 0);
      }
    }
    default:
      return new CiError(E.BadField, `unknown PE encoding ${JSON.stringify(encoding)}`, 0);
  }
}

/** Runs `data` through a (de)compression stream, refusing output beyond `maxBytes`. */
async function pipe(data: Uint8Array, stream: CompressionStream | DecompressionStream, maxBytes: number): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  // The write and close settle as the reader drains; their rejections surface through the reader too.
  // A copy backed by a plain ArrayBuffer: the DOM's BufferSource (TypeScript 5.7+ libs) refuses a view that may be shared.
  const written = writer.write(new Uint8Array(data)).then(() => writer.close());
  written.catch(() => undefined);
  const reader = (stream.readable as ReadableStream<Uint8Array>).getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new CiError(E.TooLarge, `inflated body exceeds ${maxBytes} bytes`, 0);
    }
    parts.push(value);
  }
  await written;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** What a PE request or reply says before chunking. */
export interface PeOutgoing extends Partial<Pick<CiHeader, 'deviceId' | 'version'>> {
  readonly kind: CiPeKind;
  readonly source: number;
  readonly destination: number;
  readonly requestId: number;
  /** Header JSON bytes (`encodePeHeader`). */
  readonly header: Uint8Array;
  /** Encoded body (`encodePeBody`), possibly empty. */
  readonly body: Uint8Array;
}

/** Bytes of a PE message besides its header and body: F0, the common header, request id, 4 length/count fields… and F7. */
export const PE_OVERHEAD_BYTES = 1 + CI_HEADER_BYTES + 1 + 2 + 2 + 2 + 2 + 1;

/**
 * Splits a PE message into chunks whose complete SysEx (F0 … F7 counted) fits `maxSysExSize`, the
 * receiver's announced maximum: the header in the first chunk only, every chunk carrying ≥ 1 body byte
 * (one chunk for an empty body). Throws a `too-large` CiError when the header alone does not fit or the
 * body needs more than 16383 chunks.
 */
export function chunkPeMessage(m: PeOutgoing, maxSysExSize: number): CiPeMessage[] {
  checkInt('maxSysExSize', maxSysExSize, 1, 0x0fffffff);
  check7BitBytes('header', m.header);
  check7BitBytes('body', m.body);
  const firstRoom = Math.min(0x3fff, maxSysExSize - PE_OVERHEAD_BYTES - m.header.length);
  const laterRoom = Math.min(0x3fff, maxSysExSize - PE_OVERHEAD_BYTES);
  if (firstRoom < 1 && m.body.length > 0) {
    throw new CiError(E.TooLarge, `a ${m.header.length}-byte header leaves no room for body bytes in a ${maxSysExSize}-byte SysEx`);
  }
  if (firstRoom < 0) throw new CiError(E.TooLarge, `a ${m.header.length}-byte header does not fit a ${maxSysExSize}-byte SysEx`);
  const first = Math.min(firstRoom, m.body.length);
  // Counted before any chunk is built, so a large body and a tiny SysEx size cost nothing to refuse.
  const count = 1 + Math.ceil((m.body.length - first) / laterRoom);
  if (count > 0x3fff) throw new CiError(E.TooLarge, `a ${m.body.length}-byte body needs ${count} chunks at ${maxSysExSize} bytes each; at most 16383`);
  const ends: number[] = [first];
  for (let at = first; at < m.body.length;) {
    at = Math.min(at + laterRoom, m.body.length);
    ends.push(at);
  }
  const common = {
    kind: m.kind,
    deviceId: m.deviceId ?? 0x7f,
    version: m.version ?? CI_VERSION_1_2,
    source: m.source,
    destination: m.destination,
    requestId: m.requestId,
    numChunks: ends.length,
  };
  return ends.map((end, i) => ({
    ...common,
    header: i === 0 ? m.header : new Uint8Array(0),
    thisChunk: i + 1,
    body: m.body.slice(i === 0 ? 0 : ends[i - 1], end),
  }));
}
