import fc from 'fast-check';

/** Generators of valid MIDI 1.0 messages and of byte streams that carry them, for the MIDI 1.0 ⇄ UMP tests. */

const data7 = fc.integer({ min: 0, max: 0x7f });

const channelMessage = fc
  .record({ high: fc.constantFrom(0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0), channel: fc.integer({ min: 0, max: 15 }), d1: data7, d2: data7 })
  .map(({ high, channel, d1, d2 }) => (high === 0xc0 || high === 0xd0 ? Uint8Array.of(high | channel, d1) : Uint8Array.of(high | channel, d1, d2)));

const systemCommon = fc.oneof(
  data7.map((d) => Uint8Array.of(0xf1, d)),
  fc.tuple(data7, data7).map(([a, b]) => Uint8Array.of(0xf2, a, b)),
  data7.map((d) => Uint8Array.of(0xf3, d)),
  fc.constant(Uint8Array.of(0xf6)),
);

export const realTimeByte = fc.constantFrom(0xf8, 0xfa, 0xfb, 0xfc, 0xfe, 0xff);

const sysex = fc.uint8Array({ maxLength: 40, max: 0x7f }).map((body) => Uint8Array.of(0xf0, ...body, 0xf7));

/** One complete, valid MIDI 1.0 message (no undefined status bytes). */
export const midi1Message: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: channelMessage, weight: 5 },
  { arbitrary: systemCommon, weight: 1 },
  { arbitrary: realTimeByte.map((b) => Uint8Array.of(b)), weight: 1 },
  { arbitrary: sysex, weight: 2 },
);

/** A stream of messages: its bytes, and the messages a reader must yield from them, in order. */
export interface Midi1Stream {
  readonly bytes: Uint8Array;
  readonly messages: readonly Uint8Array[];
}

/**
 * Serialises `messages` as a MIDI 1.0 sender may: a channel message whose status is the running status
 * drops it where `useRunning` says so, and real-time bytes go in anywhere (`realTime`: positions in the
 * stream, each with its byte), inside other messages and SysEx included.
 */
export function serialise(messages: readonly Uint8Array[], useRunning: readonly boolean[], realTime: readonly (readonly [number, number])[]): Midi1Stream {
  const pieces: { byte: number; completes?: Uint8Array }[] = [];
  let running = 0;
  messages.forEach((m, i) => {
    const status = m[0]!;
    const drop = status < 0xf0 && status === running && useRunning[i % Math.max(1, useRunning.length)] === true;
    if (status < 0xf0) running = status;
    else if (status < 0xf8) running = 0; // system common and SysEx end running status; real-time does not
    const bytes = drop ? m.subarray(1) : m;
    bytes.forEach((b, k) => pieces.push(k === bytes.length - 1 ? { byte: b, completes: m } : { byte: b }));
  });
  // Insert from the last position back, so earlier positions stay where they were drawn.
  const inserts = [...realTime].map(([at, b]) => [pieces.length === 0 ? 0 : at % (pieces.length + 1), b] as const).sort((a, b) => b[0] - a[0]);
  for (const [at, b] of inserts) pieces.splice(at, 0, { byte: b, completes: Uint8Array.of(b) });
  return { bytes: Uint8Array.from(pieces, (p) => p.byte), messages: pieces.flatMap((p) => (p.completes ? [p.completes] : [])) };
}

export const midi1Stream: fc.Arbitrary<Midi1Stream> = fc
  .tuple(
    fc.array(midi1Message, { maxLength: 60 }),
    fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }),
    fc.array(fc.tuple(fc.nat(), realTimeByte), { maxLength: 20 }),
  )
  .map(([messages, running, realTime]) => serialise(messages, running, realTime));

/** `bytes` cut at the given points (sorted, deduplicated, within range). */
export function chunked(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

export const hexOf = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
