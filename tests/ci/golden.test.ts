// Golden MIDI-CI 1.2 messages, both ways: each expected byte string is written out by hand from the
// message layout (docs/midi-ci.md § Messages), encode must produce it exactly and decode must give the
// object back. Common header: 7E <device id> 0D <sub-ID#2> 02 <source MUID ×4> <destination MUID ×4>.
import { describe, expect, it } from 'vitest';
import { BROADCAST_MUID, encodeCiMessage, frameSysEx, type CiMessage } from '../../runtime/ci/index.ts';
import { ascii, decodeOk, hex, sysex } from './helpers.ts';

// 0x01234567 in 7-bit groups, least significant first: 67 0A 0D 09.
const A = 0x01234567;
const A_BYTES = '67 0A 0D 09';
// 0x10 in every 7-bit group (the MUID atsushieno/ktmidi's CIFactoryTest uses): 10 10 10 10.
const B = 0x10 | (0x10 << 7) | (0x10 << 14) | (0x10 << 21);
const B_BYTES = '10 10 10 10';
const C = 0x20 | (0x20 << 7) | (0x20 << 14) | (0x20 << 21);
const BC = '7F 7F 7F 7F';
const fb = { deviceId: 0x7f, version: 2 } as const;
const MIDL = [0x7d, 0x00, 0x00, 0x01, 0x00] as const;

const schemaHeader = `{"resource":"X-MidlSchema","resId":"${'s'.repeat(92)}"}`;

const cases: [string, CiMessage, Uint8Array][] = [
  [
    'Discovery',
    {
      kind: 'discovery',
      ...fb,
      source: A,
      destination: BROADCAST_MUID,
      manufacturer: [0x7d, 0, 0],
      family: 1,
      model: 0x0123,
      softwareRevision: [0, 1, 2, 3],
      categories: 0x0c,
      maxSysExSize: 4096,
      outputPathId: 5,
    },
    sysex('7E 7F 0D 70 02', A_BYTES, BC, '7D 00 00', '01 00', '23 02', '00 01 02 03', '0C', '00 20 00 00', '05'),
  ],
  [
    'Discovery Reply',
    {
      kind: 'discovery-reply',
      ...fb,
      source: B,
      destination: A,
      manufacturer: [0x7d, 0, 0],
      family: 0x3fff,
      model: 0,
      softwareRevision: [0, 1, 0, 0],
      categories: 0x0c,
      maxSysExSize: 0x0fffffff,
      outputPathId: 5,
      functionBlock: 0x7f,
    },
    sysex('7E 7F 0D 71 02', B_BYTES, A_BYTES, '7D 00 00', '7F 7F', '00 00', '00 01 00 00', '0C', '7F 7F 7F 7F', '05', '7F'),
  ],
  ['Endpoint Info', { kind: 'endpoint-info', ...fb, source: A, destination: B, status: 0 }, sysex('7E 7F 0D 72 02', A_BYTES, B_BYTES, '00')],
  [
    'Endpoint Info Reply',
    { kind: 'endpoint-info-reply', ...fb, source: B, destination: A, status: 0, data: Uint8Array.from(ascii('midl1')) },
    sysex('7E 7F 0D 73 02', B_BYTES, A_BYTES, '00', '05 00', ascii('midl1')),
  ],
  [
    'ACK',
    { kind: 'ack', ...fb, source: B, destination: A, originalSubId: 0x22, statusCode: 0, statusData: 0, details: [0, 0, 0, 0, 0], text: 'ok' },
    sysex('7E 7F 0D 7D 02', B_BYTES, A_BYTES, '22 00 00', '00 00 00 00 00', '02 00', ascii('ok')),
  ],
  [
    'NAK',
    {
      kind: 'nak',
      deviceId: 3,
      version: 2,
      source: B,
      destination: A,
      originalSubId: 0x40,
      statusCode: 1,
      statusData: 0,
      details: [1, 2, 3, 4, 5],
      text: 'unsupported',
    },
    sysex('7E 03 0D 7F 02', B_BYTES, A_BYTES, '40 01 00', '01 02 03 04 05', '0B 00', ascii('unsupported')),
  ],
  ['Invalidate MUID', { kind: 'invalidate-muid', ...fb, source: A, destination: BROADCAST_MUID, target: B }, sysex('7E 7F 0D 7E 02', A_BYTES, BC, B_BYTES)],
  ['Profile Inquiry', { kind: 'profile-inquiry', deviceId: 0, version: 2, source: A, destination: B }, sysex('7E 00 0D 20 02', A_BYTES, B_BYTES)],
  [
    // atsushieno/ktmidi ktmidi-ci CIFactoryTest.testProfileConfigurationMessages, "Profile Inquiry Reply" (same bytes).
    'Profile Inquiry Reply (ktmidi vector)',
    {
      kind: 'profile-inquiry-reply',
      deviceId: 5,
      version: 2,
      source: B,
      destination: C,
      enabled: [
        [0x7e, 2, 3, 4, 5],
        [0x7e, 7, 8, 9, 10],
      ],
      disabled: [
        [0x7e, 12, 13, 14, 15],
        [0x7e, 17, 18, 19, 20],
      ],
    },
    sysex('7E 05 0D 21 02 10 10 10 10 20 20 20 20', '02 00', '7E 02 03 04 05', '7E 07 08 09 0A', '02 00', '7E 0C 0D 0E 0F', '7E 11 12 13 14'),
  ],
  [
    'Profile Inquiry Reply (none enabled)',
    { kind: 'profile-inquiry-reply', ...fb, source: B, destination: A, enabled: [], disabled: [MIDL] },
    sysex('7E 7F 0D 21 02', B_BYTES, A_BYTES, '00 00', '01 00', '7D 00 00 01 00'),
  ],
  [
    // ktmidi CIFactoryTest "Set Profile On": profile 7E 02 03 04 05, 1 channel (14-bit field new in 1.2).
    'Set Profile On (ktmidi vector)',
    { kind: 'profile-on', deviceId: 5, version: 2, source: B, destination: C, profile: [0x7e, 2, 3, 4, 5], channels: 1 },
    sysex('7E 05 0D 22 02 10 10 10 10 20 20 20 20 7E 02 03 04 05 01 00'),
  ],
  [
    'Set Profile Off',
    { kind: 'profile-off', ...fb, source: A, destination: B, profile: MIDL },
    sysex('7E 7F 0D 23 02', A_BYTES, B_BYTES, '7D 00 00 01 00', '00 00'),
  ],
  [
    'Profile Enabled',
    { kind: 'profile-enabled', deviceId: 0x7e, version: 2, source: B, destination: BROADCAST_MUID, profile: MIDL, channels: 200 },
    sysex('7E 7E 0D 24 02', B_BYTES, BC, '7D 00 00 01 00', '48 01'),
  ],
  [
    // ktmidi CIFactoryTest "Profile Enabled Report" with sub-ID 0x25: broadcast destination, 0 channels.
    'Profile Disabled',
    { kind: 'profile-disabled', deviceId: 5, version: 2, source: B, destination: BROADCAST_MUID, profile: [0x7e, 2, 3, 4, 5], channels: 0 },
    sysex('7E 05 0D 25 02 10 10 10 10 7F 7F 7F 7F 7E 02 03 04 05 00 00'),
  ],
  [
    'Profile Added',
    { kind: 'profile-added', ...fb, source: B, destination: BROADCAST_MUID, profile: MIDL },
    sysex('7E 7F 0D 26 02', B_BYTES, BC, '7D 00 00 01 00'),
  ],
  [
    'Profile Removed',
    { kind: 'profile-removed', ...fb, source: B, destination: BROADCAST_MUID, profile: MIDL },
    sysex('7E 7F 0D 27 02', B_BYTES, BC, '7D 00 00 01 00'),
  ],
  [
    'Profile Details Inquiry',
    { kind: 'profile-details-inquiry', ...fb, source: A, destination: B, profile: MIDL, target: 1 },
    sysex('7E 7F 0D 28 02', A_BYTES, B_BYTES, '7D 00 00 01 00', '01'),
  ],
  [
    'Profile Details Reply',
    { kind: 'profile-details-reply', ...fb, source: B, destination: A, profile: MIDL, target: 1, data: Uint8Array.of(10, 11, 12) },
    sysex('7E 7F 0D 29 02', B_BYTES, A_BYTES, '7D 00 00 01 00', '01', '03 00', '0A 0B 0C'),
  ],
  [
    // ktmidi CIFactoryTest "Profile Specific Data": a 4-byte length, then the data.
    'Profile Specific Data (ktmidi vector)',
    {
      kind: 'profile-specific-data',
      deviceId: 5,
      version: 2,
      source: B,
      destination: C,
      profile: [0x7e, 2, 3, 4, 5],
      data: Uint8Array.of(8, 7, 6, 5, 4, 3, 2, 1),
    },
    sysex('7E 05 0D 2F 02 10 10 10 10 20 20 20 20 7E 02 03 04 05 08 00 00 00 08 07 06 05 04 03 02 01'),
  ],
  [
    'Profile Specific Data (28-bit length 200)',
    { kind: 'profile-specific-data', ...fb, source: B, destination: A, profile: MIDL, data: new Uint8Array(200).fill(0x55) },
    sysex('7E 7F 0D 2F 02', B_BYTES, A_BYTES, '7D 00 00 01 00', '48 01 00 00', new Array<number>(200).fill(0x55)),
  ],
  [
    // ktmidi CIFactoryTest "Property Inquiry": 16 simultaneous requests, PE version 0.0.
    'PE Capabilities (ktmidi vector)',
    { kind: 'pe-capabilities', deviceId: 5, version: 2, source: B, destination: C, maxRequests: 16, majorVersion: 0, minorVersion: 0 },
    sysex('7E 05 0D 30 02 10 10 10 10 20 20 20 20 10 00 00'),
  ],
  [
    'PE Capabilities Reply',
    { kind: 'pe-capabilities-reply', ...fb, source: B, destination: A, maxRequests: 4, majorVersion: 0, minorVersion: 1 },
    sysex('7E 7F 0D 31 02', B_BYTES, A_BYTES, '04 00 01'),
  ],
  [
    'PE Get',
    {
      kind: 'pe-get',
      ...fb,
      source: A,
      destination: B,
      requestId: 1,
      header: Uint8Array.from(ascii('{"resource":"DeviceInfo"}')),
      numChunks: 1,
      thisChunk: 1,
      body: new Uint8Array(0),
    },
    sysex('7E 7F 0D 34 02', A_BYTES, B_BYTES, '01', '19 00', ascii('{"resource":"DeviceInfo"}'), '01 00', '01 00', '00 00'),
  ],
  [
    'PE Get Reply (chunk 1 of 2)',
    {
      kind: 'pe-get-reply',
      ...fb,
      source: B,
      destination: A,
      requestId: 1,
      header: Uint8Array.from(ascii('{"status":200}')),
      numChunks: 2,
      thisChunk: 1,
      body: Uint8Array.from(ascii('[1,')),
    },
    sysex('7E 7F 0D 35 02', B_BYTES, A_BYTES, '01', '0E 00', ascii('{"status":200}'), '02 00', '01 00', '03 00', ascii('[1,')),
  ],
  [
    'PE Get Reply (chunk 2 of 2, no header)',
    {
      kind: 'pe-get-reply',
      ...fb,
      source: B,
      destination: A,
      requestId: 1,
      header: new Uint8Array(0),
      numChunks: 2,
      thisChunk: 2,
      body: Uint8Array.from(ascii('2]')),
    },
    sysex('7E 7F 0D 35 02', B_BYTES, A_BYTES, '01', '00 00', '02 00', '02 00', '02 00', ascii('2]')),
  ],
  [
    // A 130-byte header: its 14-bit length is 02 01 (130 = 1×128 + 2).
    'PE Set (14-bit header length)',
    {
      kind: 'pe-set',
      ...fb,
      source: A,
      destination: B,
      requestId: 0x7f,
      header: Uint8Array.from(ascii(schemaHeader)),
      numChunks: 1,
      thisChunk: 1,
      body: Uint8Array.from(ascii('{}')),
    },
    sysex('7E 7F 0D 36 02', A_BYTES, B_BYTES, '7F', '02 01', ascii(schemaHeader), '01 00 01 00', '02 00', ascii('{}')),
  ],
  [
    'PE Set Reply',
    {
      kind: 'pe-set-reply',
      ...fb,
      source: B,
      destination: A,
      requestId: 0x7f,
      header: Uint8Array.from(ascii('{"status":200}')),
      numChunks: 1,
      thisChunk: 1,
      body: new Uint8Array(0),
    },
    sysex('7E 7F 0D 37 02', B_BYTES, A_BYTES, '7F', '0E 00', ascii('{"status":200}'), '01 00 01 00', '00 00'),
  ],
  [
    'PE Subscribe',
    {
      kind: 'pe-subscribe',
      ...fb,
      source: A,
      destination: B,
      requestId: 2,
      header: Uint8Array.from(ascii('{"command":"start","resource":"X-MidlSchema"}')),
      numChunks: 1,
      thisChunk: 1,
      body: new Uint8Array(0),
    },
    sysex('7E 7F 0D 38 02', A_BYTES, B_BYTES, '02', '2D 00', ascii('{"command":"start","resource":"X-MidlSchema"}'), '01 00 01 00', '00 00'),
  ],
  [
    'PE Subscribe Reply',
    {
      kind: 'pe-subscribe-reply',
      ...fb,
      source: B,
      destination: A,
      requestId: 2,
      header: Uint8Array.from(ascii('{"status":200,"subscribeId":"s1"}')),
      numChunks: 1,
      thisChunk: 1,
      body: new Uint8Array(0),
    },
    sysex('7E 7F 0D 39 02', B_BYTES, A_BYTES, '02', '21 00', ascii('{"status":200,"subscribeId":"s1"}'), '01 00 01 00', '00 00'),
  ],
  [
    'PE Notify',
    {
      kind: 'pe-notify',
      ...fb,
      source: B,
      destination: A,
      requestId: 3,
      header: Uint8Array.from(ascii('{"command":"notify","subscribeId":"s1"}')),
      numChunks: 1,
      thisChunk: 1,
      body: new Uint8Array(0),
    },
    sysex('7E 7F 0D 3F 02', B_BYTES, A_BYTES, '03', '27 00', ascii('{"command":"notify","subscribeId":"s1"}'), '01 00 01 00', '00 00'),
  ],
  [
    'unsupported sub-ID (Process Inquiry Capabilities, 0x40)',
    { kind: 'unsupported', ...fb, source: A, destination: B, subId: 0x40, data: new Uint8Array(0) },
    sysex('7E 7F 0D 40 02', A_BYTES, B_BYTES),
  ],
];

describe('MIDI-CI golden messages', () => {
  it('covers every message kind', () => {
    const kinds = new Set(cases.map(([, m]) => m.kind));
    expect([...kinds].sort()).toEqual(
      [
        'ack',
        'discovery',
        'discovery-reply',
        'endpoint-info',
        'endpoint-info-reply',
        'invalidate-muid',
        'nak',
        'pe-capabilities',
        'pe-capabilities-reply',
        'pe-get',
        'pe-get-reply',
        'pe-notify',
        'pe-set',
        'pe-set-reply',
        'pe-subscribe',
        'pe-subscribe-reply',
        'profile-added',
        'profile-details-inquiry',
        'profile-details-reply',
        'profile-disabled',
        'profile-enabled',
        'profile-inquiry',
        'profile-inquiry-reply',
        'profile-off',
        'profile-on',
        'profile-removed',
        'profile-specific-data',
        'unsupported',
      ].sort(),
    );
  });

  it.each(cases)('%s: encodes to the hand-written bytes', (_name, message, bytes) => {
    expect(hex(encodeCiMessage(message))).toBe(hex(bytes));
  });

  it.each(cases)('%s: decodes to the message, with and without F0/F7', (_name, message, bytes) => {
    expect(decodeOk(bytes)).toEqual(message);
    expect(decodeOk(frameSysEx(bytes))).toEqual(message);
  });

  it('the 14-bit header length case really has a 130-byte header', () => {
    expect(schemaHeader).toHaveLength(130);
  });

  it('the MUID fields are 7 bits per byte, least significant first', () => {
    expect(A_BYTES).toBe('67 0A 0D 09');
    expect(0x67 + 0x0a * 128 + 0x0d * 128 ** 2 + 0x09 * 128 ** 3).toBe(A);
    expect(hex(encodeCiMessage({ kind: 'profile-inquiry', ...fb, source: BROADCAST_MUID, destination: 0 })).slice(-23)).toBe('7F 7F 7F 7F 00 00 00 00');
  });

  it('a Set Profile Off with a non-zero reserved channel count decodes (the field is ignored)', () => {
    expect(decodeOk(sysex('7E 7F 0D 23 02', A_BYTES, B_BYTES, '7D 00 00 01 00', '05 00'))).toEqual({
      kind: 'profile-off',
      ...fb,
      source: A,
      destination: B,
      profile: [...MIDL],
    });
  });

  it('a message of a later CI version may carry extra trailing bytes', () => {
    expect(decodeOk(sysex('7E 7F 0D 72 03', A_BYTES, B_BYTES, '00', '11 22'))).toEqual({
      kind: 'endpoint-info',
      ...fb,
      version: 3,
      source: A,
      destination: B,
      status: 0,
    });
  });
});
