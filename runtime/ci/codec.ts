/**
 * MIDI-CI 1.2 messages ⇄ SysEx bytes.
 *
 * `encodeCiMessage` returns the bytes between F0 and F7 (`7E <dev> 0D <sub-ID#2> <ver> <src> <dst> …`),
 * which is what a UMP SysEx7 message carries (runtime/ump `packSysEx7`); `frameSysEx` adds F0/F7 for a
 * MIDI 1.0 byte stream. `decodeCiMessage` takes either form and returns the message or a `CiError`
 * with the byte offset of the problem; it never throws and never allocates more than its input.
 * Multi-byte numbers are 7 bits per byte, least significant first (MUIDs 4 bytes, counts and lengths
 * 2 bytes, the max SysEx size and profile-specific data length 4 bytes).
 */
import { CI_VERSION_1_2, SUB_ID_MIDI_CI, UNIVERSAL_NON_REAL_TIME } from './constants.ts';
import { CiError, CiErrorCode as E, check7BitBytes, checkInt } from './errors.ts';
import { CI_KINDS, CI_SUB_IDS, type CiHeader, type CiIdentity, type CiKind, type CiMessage, type ProfileId } from './messages.ts';

/** Bytes of the common header after F0: 7E, device id, 0D, sub-ID#2, version, source MUID, destination MUID. */
export const CI_HEADER_BYTES = 13;
const U14 = 0x3fff;
const U28 = 0x0fffffff;

export function isValidDeviceId(id: number): boolean {
  return (id >= 0 && id <= 0x0f) || id === 0x7e || id === 0x7f;
}

/** Wraps SysEx data in F0 … F7. */
export function frameSysEx(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out[0] = 0xf0;
  out.set(data, 1);
  out[out.length - 1] = 0xf7;
  return out;
}

// ---------------------------------------------------------------------------------------------- encode

class Writer {
  private buf = new Uint8Array(64);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u7(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }
  /** `bytes` 7-bit numbers, least significant first. */
  uint(v: number, bytes: number): void {
    this.room(bytes);
    for (let i = 0; i < bytes; i++) this.buf[this.length++] = Math.floor(v / 2 ** (7 * i)) & 0x7f;
  }
  bytes(b: ArrayLike<number>): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function checkTuple(name: string, v: readonly number[], length: number): readonly number[] {
  if (!(v instanceof Array) || v.length !== length) throw new CiError(E.BadField, `${name} must be ${length} numbers`);
  v.forEach((b, i) => checkInt(`${name}[${i}]`, b, 0, 0x7f));
  return v;
}

function writeProfile(w: Writer, p: ProfileId, name = 'profile'): void {
  w.bytes(checkTuple(name, p, 5));
}

function writeIdentity(w: Writer, m: CiIdentity): void {
  w.bytes(checkTuple('manufacturer', m.manufacturer, 3));
  w.uint(checkInt('family', m.family, 0, U14), 2);
  w.uint(checkInt('model', m.model, 0, U14), 2);
  w.bytes(checkTuple('softwareRevision', m.softwareRevision, 4));
  w.u7(checkInt('categories', m.categories, 0, 0x7f));
  w.uint(checkInt('maxSysExSize', m.maxSysExSize, 0, U28), 4);
  w.u7(checkInt('outputPathId', m.outputPathId, 0, 0x7f));
}

function writeLengthAndBytes(w: Writer, name: string, data: Uint8Array, lengthBytes: 2 | 4): void {
  check7BitBytes(name, data);
  checkInt(`${name} length`, data.length, 0, lengthBytes === 2 ? U14 : U28);
  w.uint(data.length, lengthBytes);
  w.bytes(data);
}

/**
 * Encodes a message as SysEx data without F0/F7. Throws a `bad-field` CiError for a value out of
 * range (a byte above 0x7F, a length over its field, an unknown kind, a version byte below 0x02).
 */
export function encodeCiMessage(m: CiMessage): Uint8Array {
  // Callers from plain JavaScript may pass any kind: look it up as an unknown string.
  const subId = m.kind === 'unsupported' ? checkInt('subId', m.subId, 0, 0x7f) : (CI_SUB_IDS as Readonly<Record<string, number | undefined>>)[m.kind];
  if (subId === undefined) throw new CiError(E.BadField, `unknown MIDI-CI message kind ${JSON.stringify((m as { kind: unknown }).kind)}`);
  if (m.kind === 'unsupported' && CI_KINDS.has(subId)) {
    throw new CiError(E.BadField, `sub-ID#2 0x${subId.toString(16)} is a ${CI_KINDS.get(subId)!} message; encode it as that kind`);
  }
  const deviceId = checkInt('deviceId', m.deviceId, 0, 0x7f);
  if (!isValidDeviceId(deviceId))
    throw new CiError(E.BadField, `deviceId 0x${deviceId.toString(16)} is reserved (0x00..0x0F channel, 0x7E group, 0x7F function block)`);
  const w = new Writer();
  w.u7(UNIVERSAL_NON_REAL_TIME);
  w.u7(deviceId);
  w.u7(SUB_ID_MIDI_CI);
  w.u7(subId);
  w.u7(checkInt('version', m.version, CI_VERSION_1_2, 0x7f));
  w.uint(checkInt('source', m.source, 0, U28), 4);
  w.uint(checkInt('destination', m.destination, 0, U28), 4);
  switch (m.kind) {
    case 'discovery':
      writeIdentity(w, m);
      break;
    case 'discovery-reply':
      writeIdentity(w, m);
      w.u7(checkInt('functionBlock', m.functionBlock, 0, 0x7f));
      break;
    case 'endpoint-info':
      w.u7(checkInt('status', m.status, 0, 0x7f));
      break;
    case 'endpoint-info-reply':
      w.u7(checkInt('status', m.status, 0, 0x7f));
      writeLengthAndBytes(w, 'data', m.data, 2);
      break;
    case 'ack':
    case 'nak': {
      w.u7(checkInt('originalSubId', m.originalSubId, 0, 0x7f));
      w.u7(checkInt('statusCode', m.statusCode, 0, 0x7f));
      w.u7(checkInt('statusData', m.statusData, 0, 0x7f));
      w.bytes(checkTuple('details', m.details, 5));
      if (typeof m.text !== 'string') throw new CiError(E.BadField, 'text must be a string');
      const text = new Uint8Array(m.text.length);
      for (let i = 0; i < m.text.length; i++) {
        const c = m.text.charCodeAt(i);
        if (c > 0x7f) throw new CiError(E.BadField, `text: character ${i} (U+${c.toString(16).padStart(4, '0')}) is not 7-bit ASCII`);
        text[i] = c;
      }
      writeLengthAndBytes(w, 'text', text, 2);
      break;
    }
    case 'invalidate-muid':
      w.uint(checkInt('target', m.target, 0, U28), 4);
      break;
    case 'profile-inquiry':
      break;
    case 'profile-inquiry-reply':
      for (const [name, list] of [
        ['enabled', m.enabled],
        ['disabled', m.disabled],
      ] as const) {
        if (!(list instanceof Array)) throw new CiError(E.BadField, `${name} must be an array of profile ids`);
        w.uint(checkInt(`${name} count`, list.length, 0, U14), 2);
        list.forEach((p, i) => writeProfile(w, p, `${name}[${i}]`));
      }
      break;
    case 'profile-on':
    case 'profile-enabled':
    case 'profile-disabled':
      writeProfile(w, m.profile);
      w.uint(checkInt('channels', m.channels, 0, U14), 2);
      break;
    case 'profile-off':
      writeProfile(w, m.profile);
      w.uint(0, 2);
      break;
    case 'profile-added':
    case 'profile-removed':
      writeProfile(w, m.profile);
      break;
    case 'profile-details-inquiry':
      writeProfile(w, m.profile);
      w.u7(checkInt('target', m.target, 0, 0x7f));
      break;
    case 'profile-details-reply':
      writeProfile(w, m.profile);
      w.u7(checkInt('target', m.target, 0, 0x7f));
      writeLengthAndBytes(w, 'data', m.data, 2);
      break;
    case 'profile-specific-data':
      writeProfile(w, m.profile);
      writeLengthAndBytes(w, 'data', m.data, 4);
      break;
    case 'pe-capabilities':
    case 'pe-capabilities-reply':
      w.u7(checkInt('maxRequests', m.maxRequests, 0, 0x7f));
      w.u7(checkInt('majorVersion', m.majorVersion, 0, 0x7f));
      w.u7(checkInt('minorVersion', m.minorVersion, 0, 0x7f));
      break;
    case 'unsupported':
      w.bytes(check7BitBytes('data', m.data));
      break;
    default:
      w.u7(checkInt('requestId', m.requestId, 0, 0x7f));
      writeLengthAndBytes(w, 'header', m.header, 2);
      w.uint(checkInt('numChunks', m.numChunks, 0, U14), 2);
      w.uint(checkInt('thisChunk', m.thisChunk, 0, U14), 2);
      writeLengthAndBytes(w, 'body', m.body, 2);
  }
  return w.result();
}

// ---------------------------------------------------------------------------------------------- decode

/** Field reader over `bytes[pos, end)`: a short input throws a CiError, which `decodeCiMessage` catches and returns. */
class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  need(n: number, what: string): void {
    if (this.end - this.pos < n) throw new CiError(E.Truncated, `${what}: needs ${n} byte${n === 1 ? '' : 's'}, ${this.end - this.pos} left`, this.pos);
  }
  u7(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }
  uint(n: number, what: string): number {
    this.need(n, what);
    let v = 0;
    for (let i = 0; i < n; i++) v += this.bytes[this.pos + i]! * 2 ** (7 * i);
    this.pos += n;
    return v;
  }
  tuple(n: number, what: string): number[] {
    this.need(n, what);
    const out = Array.from(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }
  /** A length field of `lengthBytes` then that many bytes, the length checked against what is left first. */
  sized(lengthBytes: number, what: string): Uint8Array {
    const at = this.pos;
    const n = this.uint(lengthBytes, `${what} length`);
    if (n > this.end - this.pos) throw new CiError(E.Truncated, `${what} length ${n} exceeds the ${this.end - this.pos} bytes left`, at);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function readIdentity(r: Reader): CiIdentity {
  return {
    manufacturer: r.tuple(3, 'manufacturer') as unknown as CiIdentity['manufacturer'],
    family: r.uint(2, 'family'),
    model: r.uint(2, 'model'),
    softwareRevision: r.tuple(4, 'softwareRevision') as unknown as CiIdentity['softwareRevision'],
    categories: r.u7('categories'),
    maxSysExSize: r.uint(4, 'maxSysExSize'),
    outputPathId: r.u7('outputPathId'),
  };
}

const profile = (r: Reader, what = 'profile'): ProfileId => r.tuple(5, what) as unknown as ProfileId;

function readProfiles(r: Reader, what: string): ProfileId[] {
  const at = r.pos;
  const count = r.uint(2, `${what} count`);
  // Checked before the loop: a hostile count never makes us build a list longer than the input allows.
  if (count * 5 > r.end - r.pos) throw new CiError(E.Truncated, `${what}: ${count} profile ids need ${count * 5} bytes, ${r.end - r.pos} left`, at);
  const out: ProfileId[] = [];
  for (let i = 0; i < count; i++) out.push(profile(r, `${what}[${i}]`));
  return out;
}

function decodeBody(kind: CiKind, h: CiHeader, r: Reader): CiMessage {
  switch (kind) {
    case 'discovery':
      return { kind, ...h, ...readIdentity(r) };
    case 'discovery-reply':
      return { kind, ...h, ...readIdentity(r), functionBlock: r.u7('functionBlock') };
    case 'endpoint-info':
      return { kind, ...h, status: r.u7('status') };
    case 'endpoint-info-reply':
      return { kind, ...h, status: r.u7('status'), data: r.sized(2, 'data') };
    case 'ack':
    case 'nak':
      return {
        kind,
        ...h,
        originalSubId: r.u7('originalSubId'),
        statusCode: r.u7('statusCode'),
        statusData: r.u7('statusData'),
        details: r.tuple(5, 'details') as unknown as readonly [number, number, number, number, number],
        text: String.fromCharCode(...r.sized(2, 'text')),
      };
    case 'invalidate-muid':
      return { kind, ...h, target: r.uint(4, 'target') };
    case 'profile-inquiry':
      return { kind, ...h };
    case 'profile-inquiry-reply': {
      const enabled = readProfiles(r, 'enabled');
      return { kind, ...h, enabled, disabled: readProfiles(r, 'disabled') };
    }
    case 'profile-on':
    case 'profile-enabled':
    case 'profile-disabled':
      return { kind, ...h, profile: profile(r), channels: r.uint(2, 'channels') };
    case 'profile-off': {
      const p = profile(r);
      r.uint(2, 'channels (reserved)');
      return { kind, ...h, profile: p };
    }
    case 'profile-added':
    case 'profile-removed':
      return { kind, ...h, profile: profile(r) };
    case 'profile-details-inquiry':
      return { kind, ...h, profile: profile(r), target: r.u7('target') };
    case 'profile-details-reply':
      return { kind, ...h, profile: profile(r), target: r.u7('target'), data: r.sized(2, 'data') };
    case 'profile-specific-data':
      return { kind, ...h, profile: profile(r), data: r.sized(4, 'data') };
    case 'pe-capabilities':
    case 'pe-capabilities-reply':
      return { kind, ...h, maxRequests: r.u7('maxRequests'), majorVersion: r.u7('majorVersion'), minorVersion: r.u7('minorVersion') };
    default: {
      const requestId = r.u7('requestId');
      const header = r.sized(2, 'header');
      const numChunks = r.uint(2, 'numChunks');
      const thisChunk = r.uint(2, 'thisChunk');
      return { kind, ...h, requestId, header, numChunks, thisChunk, body: r.sized(2, 'body') };
    }
  }
}

/**
 * Decodes one MIDI-CI message from SysEx data, with or without F0/F7. Returns a `CiError` (offset
 * into `bytes`, or `bytes.length` for input that ends too early) for anything malformed; a sub-ID#2
 * it does not know decodes to `{ kind: 'unsupported' }`. Messages of a version after 1.2 are read
 * with the 1.2 layout and may carry extra bytes at the end (ignored, as MIDI-CI asks of receivers).
 */
export function decodeCiMessage(bytes: Uint8Array): CiMessage | CiError {
  if (!(bytes instanceof Uint8Array)) return new CiError(E.BadField, 'input must be a Uint8Array', 0);
  let start = 0;
  let end = bytes.length;
  if (end > 0 && bytes[0] === 0xf0) {
    if (end < 2 || bytes[end - 1] !== 0xf7) return new CiError(E.NotCi, 'SysEx starts with F0 but does not end with F7', end - 1);
    start = 1;
    end -= 1;
  }
  for (let i = start; i < end; i++) {
    if (bytes[i]! > 0x7f) return new CiError(E.Not7Bit, `byte 0x${bytes[i]!.toString(16)} inside SysEx data`, i);
  }
  if (end - start < CI_HEADER_BYTES) {
    if (end - start >= 1 && bytes[start] !== UNIVERSAL_NON_REAL_TIME) return new CiError(E.NotCi, 'not a universal non-real-time SysEx (7E)', start);
    return new CiError(E.Truncated, `a MIDI-CI message has at least ${CI_HEADER_BYTES} bytes, got ${end - start}`, end);
  }
  if (bytes[start] !== UNIVERSAL_NON_REAL_TIME) return new CiError(E.NotCi, 'not a universal non-real-time SysEx (7E)', start);
  if (bytes[start + 2] !== SUB_ID_MIDI_CI) return new CiError(E.NotCi, `sub-ID#1 0x${bytes[start + 2]!.toString(16)} is not MIDI-CI (0D)`, start + 2);
  const deviceId = bytes[start + 1]!;
  if (!isValidDeviceId(deviceId)) return new CiError(E.BadField, `device id 0x${deviceId.toString(16)} is reserved`, start + 1);
  const subId = bytes[start + 3]!;
  const version = bytes[start + 4]!;
  if (version < CI_VERSION_1_2)
    return new CiError(E.UnsupportedVersion, `MIDI-CI message version 0x${version.toString(16)} is older than 1.2 (0x02)`, start + 4);
  const r = new Reader(bytes, start + 5, end);
  try {
    const header: CiHeader = { deviceId, version, source: r.uint(4, 'source MUID'), destination: r.uint(4, 'destination MUID') };
    const kind = CI_KINDS.get(subId);
    if (kind === undefined) return { kind: 'unsupported', ...header, subId, data: bytes.slice(r.pos, end) };
    const message = decodeBody(kind, header, r);
    if (r.pos !== end && version === CI_VERSION_1_2) return new CiError(E.TrailingBytes, `${end - r.pos} bytes after the last field of ${kind}`, r.pos);
    return message;
  } catch (e) {
    if (e instanceof CiError) return e;
    throw e;
  }
}
