import fc from 'fast-check';
import type { UmpMessage } from '../../runtime/ump/index.ts';

export const u = (max: number): fc.Arbitrary<number> => fc.integer({ min: 0, max });
export const group = u(15);

/** Sizes around every packet boundary of every kind, plus some larger ones. */
export const BOUNDARY_SIZES = [0, 1, 2, 5, 6, 7, 11, 12, 13, 14, 15, 25, 26, 27, 28, 39, 40, 41, 97, 98, 99, 1000] as const;

export const bytesArb = (maxLength: number, max = 0xff): fc.Arbitrary<Uint8Array> => fc.array(u(max), { maxLength }).map((a) => Uint8Array.from(a));

/** Any text UMP text can carry: full Unicode (astral, CJK, emoji), no U+0000, no lone surrogates. */
export const textArb = (maxLength: number): fc.Arbitrary<string> =>
  fc
    .oneof(
      fc.string({ unit: 'binary', maxLength }),
      fc.string({ unit: fc.constantFrom('a', 'é', 'ß', '音', '楽', '🎹', '👩‍👩‍👧', '\u{10FFFF}', ' '), maxLength }),
      fc.string({ unit: 'grapheme', maxLength }),
    )
    .map((s) => s.replaceAll('\u0000', ''));

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;
/** Text that fits a byte cap. */
export const cappedTextArb = (maxBytes: number): fc.Arbitrary<string> =>
  textArb(maxBytes).map((s) => {
    let t = s;
    while (utf8Length(t) > maxBytes) t = Array.from(t).slice(0, -1).join('');
    return t;
  });

const flexAddress = fc.record({
  group,
  addressing: fc.constantFrom('group' as const, 'channel' as const),
  channel: u(15),
  status: u(0xff),
});

/** One arbitrary per message kind the reader emits (and encodeMessage packs). */
export const messageArbs: Readonly<Record<string, fc.Arbitrary<UmpMessage>>> = {
  noop: fc.constant({ kind: 'noop' as const }),
  'jr-clock': u(0xffff).map((value) => ({ kind: 'jr-clock' as const, value })),
  'jr-timestamp': u(0xffff).map((value) => ({ kind: 'jr-timestamp' as const, value })),
  'delta-clockstamp-tpq': u(0xffff).map((value) => ({ kind: 'delta-clockstamp-tpq' as const, value })),
  'delta-clockstamp': u(0xfffff).map((value) => ({ kind: 'delta-clockstamp' as const, value })),
  sysex7: fc.record({ kind: fc.constant('sysex7' as const), group, data: bytesArb(40, 0x7f) }),
  sysex8: fc.record({ kind: fc.constant('sysex8' as const), group, streamId: u(255), data: bytesArb(60) }),
  mds: fc.record({
    kind: fc.constant('mds' as const),
    group,
    mdsId: u(15),
    manufacturerId: u(0xffff),
    deviceId: u(0xffff),
    subId1: u(0xffff),
    subId2: u(0xffff),
    data: bytesArb(60),
  }),
  flex: fc
    .record({ address: flexAddress, bank: fc.integer({ min: 0, max: 0xff }).filter((b) => b !== 1 && b !== 2), packets: fc.integer({ min: 1, max: 3 }) })
    .chain(({ address, bank, packets }) =>
      fc
        .array(u(0xff), { minLength: packets * 12, maxLength: packets * 12 })
        .map((d) => ({ kind: 'flex' as const, ...address, bank, data: Uint8Array.from(d) })),
    ),
  'flex-text': fc.record({ address: flexAddress, bank: fc.constantFrom(1, 2), text: textArb(40) }).map(({ address, bank, text }) => ({
    kind: 'flex-text' as const,
    ...address,
    bank,
    text,
  })),
  'endpoint-discovery': fc.record({
    kind: fc.constant('endpoint-discovery' as const),
    umpVersionMajor: u(0xff),
    umpVersionMinor: u(0xff),
    filter: u(0xff),
  }),
  'endpoint-info': fc.record({
    kind: fc.constant('endpoint-info' as const),
    umpVersionMajor: u(0xff),
    umpVersionMinor: u(0xff),
    staticFunctionBlocks: fc.boolean(),
    functionBlockCount: u(0x7f),
    midi2: fc.boolean(),
    midi1: fc.boolean(),
    rxJr: fc.boolean(),
    txJr: fc.boolean(),
  }),
  'device-identity': fc.record({
    kind: fc.constant('device-identity' as const),
    manufacturerId: fc.tuple(u(0x7f), u(0x7f), u(0x7f)).map(([a, b, c]) => (a << 16) | (b << 8) | c),
    familyId: u(0x3fff),
    modelId: u(0x3fff),
    softwareRevision: fc.tuple(u(0x7f), u(0x7f), u(0x7f), u(0x7f)).map(([a, b, c, d]) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0),
  }),
  'endpoint-name': cappedTextArb(98).map((name) => ({ kind: 'endpoint-name' as const, name })),
  'product-instance-id': fc
    .string({ unit: fc.integer({ min: 1, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 42 })
    .map((id) => ({ kind: 'product-instance-id' as const, id })),
  'stream-config-request': fc.record({ kind: fc.constant('stream-config-request' as const), protocol: u(0xff), rxJr: fc.boolean(), txJr: fc.boolean() }),
  'stream-config-notification': fc.record({
    kind: fc.constant('stream-config-notification' as const),
    protocol: u(0xff),
    rxJr: fc.boolean(),
    txJr: fc.boolean(),
  }),
  'fb-discovery': fc.record({ kind: fc.constant('fb-discovery' as const), functionBlock: u(0xff), filter: u(0xff) }),
  'fb-info': fc.record({
    kind: fc.constant('fb-info' as const),
    active: fc.boolean(),
    functionBlock: u(0x7f),
    uiHint: u(3),
    midi1: u(3),
    direction: u(3),
    firstGroup: u(0xff),
    groupCount: u(0xff),
    midiCiVersion: u(0xff),
    maxSysEx8Streams: u(0xff),
  }),
  'fb-name': fc.record({ kind: fc.constant('fb-name' as const), functionBlock: u(0x7f), name: cappedTextArb(91) }),
  'start-of-clip': fc.constant({ kind: 'start-of-clip' as const }),
  'end-of-clip': fc.constant({ kind: 'end-of-clip' as const }),
  unknown: fc
    .record({ mt: fc.constantFrom(1, 2, 4, 6, 7, 8, 9, 0xa, 0xb, 0xc, 0xe), rest: fc.array(u(0xffffffff), { minLength: 3, maxLength: 3 }), low: u(0x0fffffff) })
    .map(({ mt, rest, low }) => {
      const size = [1, 1, 1, 2, 2, 4, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4][mt]!;
      const words = Uint32Array.from([((mt << 28) | low) >>> 0, ...rest.slice(0, size - 1)]);
      return { kind: 'unknown' as const, mt, words };
    }),
};

export const anyMessageArb: fc.Arbitrary<UmpMessage> = fc.oneof(...Object.values(messageArbs));

/** Random cut points splitting `n` words into chunks. */
export const cutsArb = (n: number): fc.Arbitrary<number[]> =>
  fc.uniqueArray(fc.integer({ min: 0, max: n }), { maxLength: 8 }).map((c) => [...c].sort((a, b) => a - b));

export function splitAt(words: Uint32Array, cuts: readonly number[]): Uint32Array[] {
  const parts: Uint32Array[] = [];
  let from = 0;
  for (const c of [...cuts, words.length]) {
    parts.push(words.subarray(from, c));
    from = c;
  }
  return parts;
}
