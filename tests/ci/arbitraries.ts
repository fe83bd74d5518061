import fc from 'fast-check';
import type { CiMessage, CiPeKind, ProfileId } from '../../runtime/ci/index.ts';

const u7 = fc.integer({ min: 0, max: 0x7f });
const u14 = fc.integer({ min: 0, max: 0x3fff });
const u28 = fc.integer({ min: 0, max: 0x0fffffff });
const bytes7 = (maxLength: number) => fc.uint8Array({ maxLength, max: 0x7f });
const profile: fc.Arbitrary<ProfileId> = fc.tuple(u7, u7, u7, u7, u7);
const asciiText = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 40 });

const header = fc.record({
  deviceId: fc.oneof(fc.integer({ min: 0, max: 0x0f }), fc.constantFrom(0x7e, 0x7f)),
  version: fc.oneof(fc.constant(2), fc.integer({ min: 2, max: 0x7f })),
  source: u28,
  destination: u28,
});

const identity = {
  manufacturer: fc.tuple(u7, u7, u7),
  family: u14,
  model: u14,
  softwareRevision: fc.tuple(u7, u7, u7, u7),
  categories: u7,
  maxSysExSize: u28,
  outputPathId: u7,
};

const PE_KINDS: CiPeKind[] = ['pe-get', 'pe-get-reply', 'pe-set', 'pe-set-reply', 'pe-subscribe', 'pe-subscribe-reply', 'pe-notify'];

/** Any message `encodeCiMessage` accepts, of every kind. */
export const ciMessageArb: fc.Arbitrary<CiMessage> = fc.oneof(
  fc.record({ h: header, f: fc.record(identity) }).map(({ h, f }): CiMessage => ({ kind: 'discovery', ...h, ...f })),
  fc
    .record({ h: header, f: fc.record(identity), functionBlock: u7 })
    .map(({ h, f, functionBlock }): CiMessage => ({ kind: 'discovery-reply', ...h, ...f, functionBlock })),
  fc.record({ h: header, status: u7 }).map(({ h, status }): CiMessage => ({ kind: 'endpoint-info', ...h, status })),
  fc.record({ h: header, status: u7, data: bytes7(40) }).map(({ h, status, data }): CiMessage => ({ kind: 'endpoint-info-reply', ...h, status, data })),
  fc
    .record({ h: header, kind: fc.constantFrom('ack' as const, 'nak' as const), o: u7, c: u7, d: u7, details: fc.tuple(u7, u7, u7, u7, u7), text: asciiText })
    .map(({ h, kind, o, c, d, details, text }): CiMessage => ({ kind, ...h, originalSubId: o, statusCode: c, statusData: d, details, text })),
  fc.record({ h: header, target: u28 }).map(({ h, target }): CiMessage => ({ kind: 'invalidate-muid', ...h, target })),
  header.map((h): CiMessage => ({ kind: 'profile-inquiry', ...h })),
  fc
    .record({ h: header, enabled: fc.array(profile, { maxLength: 6 }), disabled: fc.array(profile, { maxLength: 6 }) })
    .map(({ h, enabled, disabled }): CiMessage => ({ kind: 'profile-inquiry-reply', ...h, enabled, disabled })),
  fc
    .record({ h: header, kind: fc.constantFrom('profile-on' as const, 'profile-enabled' as const, 'profile-disabled' as const), profile, channels: u14 })
    .map(({ h, kind, profile: p, channels }): CiMessage => ({ kind, ...h, profile: p, channels })),
  fc
    .record({ h: header, kind: fc.constantFrom('profile-off' as const, 'profile-added' as const, 'profile-removed' as const), profile })
    .map(({ h, kind, profile: p }): CiMessage => ({ kind, ...h, profile: p })),
  fc.record({ h: header, profile, target: u7 }).map(({ h, profile: p, target }): CiMessage => ({ kind: 'profile-details-inquiry', ...h, profile: p, target })),
  fc
    .record({ h: header, profile, target: u7, data: bytes7(40) })
    .map(({ h, profile: p, target, data }): CiMessage => ({ kind: 'profile-details-reply', ...h, profile: p, target, data })),
  fc.record({ h: header, profile, data: bytes7(300) }).map(({ h, profile: p, data }): CiMessage => ({ kind: 'profile-specific-data', ...h, profile: p, data })),
  fc
    .record({ h: header, kind: fc.constantFrom('pe-capabilities' as const, 'pe-capabilities-reply' as const), n: u7, major: u7, minor: u7 })
    .map(({ h, kind, n, major, minor }): CiMessage => ({ kind, ...h, maxRequests: n, majorVersion: major, minorVersion: minor })),
  fc
    .record({ h: header, kind: fc.constantFrom(...PE_KINDS), requestId: u7, header: bytes7(200), numChunks: u14, thisChunk: u14, body: bytes7(200) })
    .map(({ h, kind, requestId, header: hd, numChunks, thisChunk, body }): CiMessage => ({ kind, ...h, requestId, header: hd, numChunks, thisChunk, body })),
  fc
    .record({ h: header, subId: u7.filter((s) => (s >= 0x10 && s <= 0x1f) || (s >= 0x40 && s <= 0x6f) || s === 0x32 || s === 0x33), data: bytes7(20) })
    .map(({ h, subId, data }): CiMessage => ({ kind: 'unsupported', ...h, subId, data })),
);
