/**
 * The Network MIDI 2.0 datagram codec: `"MIDI"` + command packets, each a header word
 * `[31:24] code | [23:16] payload words | [15:0] command-specific data` and its payload, big-endian.
 *
 * The decoder reads hostile input: it never throws, never allocates more than the datagram holds,
 * and reports what it could not read as typed errors beside the commands it could.
 */
import { packetWordCount } from '../../ump/mt.ts';
import { AMIDI2NET_NAK_CODE, CODE_OF_TYPE, CommandCode, DIGEST_BYTES, NM2_SIGNATURE, NONCE_BYTES, UMP_DATA_MAX_WORDS, type Nm2Command } from './commands.ts';

/** Largest datagram we send (amidi2net's UMP_NET_MAX_BUF_SIZE; below a 1500-byte Ethernet MTU). */
export const MAX_DATAGRAM_BYTES = 1400;
/** The payload length is one byte. */
const MAX_PAYLOAD_WORDS = 255;

export interface EncodeOptions {
  /**
   * Lay strings out as amidi2net does: always a NUL terminator, then pad to the word ("midl" takes 2
   * words). Off by default: the spec, Windows, the Workbench and pymidi2 pad to the next word only.
   */
  readonly nulTerminate?: boolean;
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A string as zero-padded words. */
function stringWords(s: string, options: EncodeOptions | undefined): number[] {
  const bytes = utf8.encode(s);
  return bytesWords(bytes, bytes.length === 0 ? 0 : options?.nulTerminate ? bytes.length + 1 : bytes.length);
}

/** The first `length` bytes as big-endian words, zero-padded past the end of `bytes`. */
function bytesWords(bytes: Uint8Array, length: number): number[] {
  const words: number[] = [];
  for (let i = 0; i < length; i += 4)
    words.push((((bytes[i] ?? 0) << 24) | ((bytes[i + 1] ?? 0) << 16) | ((bytes[i + 2] ?? 0) << 8) | (bytes[i + 3] ?? 0)) >>> 0);
  return words;
}

function header(code: number, payloadWords: number, csd: number): number {
  if (payloadWords > MAX_PAYLOAD_WORDS)
    throw new RangeError(`NM2 command 0x${code.toString(16)}: payload of ${payloadWords} words exceeds ${MAX_PAYLOAD_WORDS}`);
  return ((code << 24) | (payloadWords << 16) | (csd & 0xffff)) >>> 0;
}

/** One command as words (header first). Throws RangeError for a command no peer could read (payload > 255 words, UMP Data > 64 words). */
export function commandWords(cmd: Nm2Command, options?: EncodeOptions): number[] {
  const code = CODE_OF_TYPE[cmd.type];
  const withNames = (csdLow: number, lead: number[], name: string, piid: string): number[] => {
    const nameWords = stringWords(name, options);
    const payload = [...lead, ...nameWords, ...stringWords(piid, options)];
    return [header(code, payload.length, (nameWords.length << 8) | (csdLow & 0xff)), ...payload];
  };
  switch (cmd.type) {
    case 'invitation':
      return withNames(cmd.capabilities, [], cmd.name, cmd.productInstanceId);
    case 'accepted':
    case 'pending':
      return withNames(0, [], cmd.name, cmd.productInstanceId);
    case 'auth-required':
    case 'user-auth-required':
      return withNames(cmd.state, bytesWords(cmd.nonce, NONCE_BYTES), cmd.name, cmd.productInstanceId);
    case 'invitation-auth':
      return [header(code, DIGEST_BYTES / 4, 0), ...bytesWords(cmd.digest, DIGEST_BYTES)];
    case 'invitation-user-auth': {
      const payload = [...bytesWords(cmd.digest, DIGEST_BYTES), ...stringWords(cmd.username, options)];
      return [header(code, payload.length, 0), ...payload];
    }
    case 'ping':
    case 'ping-reply':
      return [header(code, 1, 0), cmd.id >>> 0];
    case 'retransmit-request':
      return [header(code, 1, cmd.seq), ((cmd.count & 0xffff) << 16) >>> 0];
    case 'retransmit-error':
      return [header(code, 1, (cmd.reason & 0xff) << 8), ((cmd.seq & 0xffff) << 16) >>> 0];
    case 'session-reset':
    case 'reset-reply':
    case 'bye-reply':
      return [header(code, 0, 0)];
    case 'nak': {
      const payload = [cmd.header >>> 0, ...stringWords(cmd.text, options)];
      return [header(code, payload.length, (cmd.reason & 0xff) << 8), ...payload];
    }
    case 'bye': {
      const payload = stringWords(cmd.text, options);
      return [header(code, payload.length, (cmd.reason & 0xff) << 8), ...payload];
    }
    case 'ump-data':
      if (cmd.words.length > UMP_DATA_MAX_WORDS) throw new RangeError(`NM2 UMP Data: ${cmd.words.length} words exceed ${UMP_DATA_MAX_WORDS}`);
      return [header(code, cmd.words.length, cmd.seq), ...cmd.words];
  }
}

function wordsToBytes(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 + words.length * 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, NM2_SIGNATURE);
  for (let i = 0; i < words.length; i++) view.setUint32(4 + i * 4, words[i]!);
  return out;
}

/** One datagram holding `commands` in order, however large. */
export function encodeDatagram(commands: readonly Nm2Command[], options?: EncodeOptions): Uint8Array {
  return wordsToBytes(commands.flatMap((c) => commandWords(c, options)));
}

/**
 * `commands` in order, split into as few datagrams of at most `maxBytes` as packing in order allows
 * (a single command larger than that still goes alone).
 */
export function encodeDatagrams(commands: readonly Nm2Command[], maxBytes = MAX_DATAGRAM_BYTES, options?: EncodeOptions): Uint8Array[] {
  const out: Uint8Array[] = [];
  let words: number[] = [];
  for (const cmd of commands) {
    const w = commandWords(cmd, options);
    if (words.length > 0 && 4 + (words.length + w.length) * 4 > maxBytes) {
      out.push(wordsToBytes(words));
      words = [];
    }
    words.push(...w);
  }
  if (words.length > 0) out.push(wordsToBytes(words));
  return out;
}

/** What the decoder could not read. `header` is set when the command's header was read (to NAK it). */
export interface Nm2WireError {
  readonly kind: 'bad-signature' | 'unaligned' | 'length-past-end' | 'unknown-code' | 'malformed';
  /** Byte offset in the datagram. */
  readonly offset: number;
  readonly header?: number;
  readonly message: string;
}

export interface DecodedDatagram {
  readonly commands: Nm2Command[];
  /** The header word each command came with (`headers[i]` for `commands[i]`), for NAKs. */
  readonly headers: number[];
  readonly errors: Nm2WireError[];
}

/** A string field: C-string semantics (up to the first NUL), so both padding styles read the same. */
function readString(bytes: Uint8Array, start: number, end: number, ascii: boolean): string | undefined {
  let stop = start;
  while (stop < end && bytes[stop] !== 0) stop++;
  const field = bytes.subarray(start, stop);
  if (ascii) {
    for (const b of field) if (b > 0x7e || b < 0x20) return undefined;
  }
  try {
    return strictUtf8.decode(field);
  } catch {
    return undefined;
  }
}

type Body = Nm2Command | string;

/**
 * Payload words each command may have, [least, most] (amidi2net's `ump_net_cmd_lens`, from the spec's
 * field sizes: a name of ≤ 98 bytes and a PIID of ≤ 42, NUL-terminated, take ≤ 25 + 11 words; a nonce 4, a
 * digest 8). A count outside is malformed (NAK 0x03) even where the fields could be read.
 */
const PAYLOAD_WORDS: ReadonlyMap<number, readonly [number, number]> = new Map<number, readonly [number, number]>([
  [CommandCode.Invitation, [0, 36]],
  [CommandCode.InvitationWithAuth, [8, 8]],
  [CommandCode.InvitationWithUserAuth, [8, MAX_PAYLOAD_WORDS]],
  [CommandCode.Accepted, [0, 36]],
  [CommandCode.Pending, [0, 36]],
  [CommandCode.AuthRequired, [4, 40]],
  [CommandCode.UserAuthRequired, [4, 40]],
  [CommandCode.Ping, [1, 1]],
  [CommandCode.PingReply, [1, 1]],
  [CommandCode.RetransmitRequest, [1, 1]],
  [CommandCode.RetransmitError, [1, 1]],
  [CommandCode.SessionReset, [0, 0]],
  [CommandCode.ResetReply, [0, 0]],
  [CommandCode.Nak, [1, MAX_PAYLOAD_WORDS]],
  [AMIDI2NET_NAK_CODE, [1, MAX_PAYLOAD_WORDS]],
  [CommandCode.Bye, [0, MAX_PAYLOAD_WORDS]],
  [CommandCode.ByeReply, [0, 0]],
  [CommandCode.UmpData, [0, UMP_DATA_MAX_WORDS]],
]);

/** Why a payload of `len` words does not fit command `code`, or undefined when it does (or the code is unknown). */
function payloadLengthProblem(code: number, len: number): string | undefined {
  const bounds = PAYLOAD_WORDS.get(code);
  if (bounds === undefined) return undefined;
  const [least, most] = bounds;
  if (len >= least && len <= most) return undefined;
  const name = `command 0x${code.toString(16).padStart(2, '0')}`;
  return least === most ? `${name} has ${least} payload words, not ${len}` : `${name} has ${least} to ${most} payload words, not ${len}`;
}

/** Reads one command's body (`p`..`end` = payload bytes); a string is the reason it is malformed. */
function readBody(bytes: Uint8Array, view: DataView, hdr: number, p: number, end: number): Body {
  const code = hdr >>> 24;
  const len = (end - p) >>> 2;
  const byte2 = (hdr >>> 8) & 0xff;
  const byte3 = hdr & 0xff;
  const csd = hdr & 0xffff;
  const names = (lead: number): { name: string; productInstanceId: string } | string => {
    if (lead + byte2 > len) return `endpoint name of ${byte2} words runs past the ${len}-word payload`;
    const nameEnd = p + (lead + byte2) * 4;
    const name = readString(bytes, p + lead * 4, nameEnd, false);
    if (name === undefined) return 'endpoint name is not UTF-8';
    const productInstanceId = readString(bytes, nameEnd, end, true);
    if (productInstanceId === undefined) return 'product instance id is not printable ASCII';
    return { name, productInstanceId };
  };
  const needs = (words: number): string | undefined => (len < words ? `needs ${words} payload words, has ${len}` : undefined);
  const badLength = payloadLengthProblem(code, len);
  if (badLength !== undefined) return badLength;
  switch (code) {
    case CommandCode.Invitation: {
      const n = names(0);
      return typeof n === 'string' ? n : { type: 'invitation', capabilities: byte3, ...n };
    }
    case CommandCode.Accepted:
    case CommandCode.Pending: {
      const n = names(0);
      return typeof n === 'string' ? n : { type: code === CommandCode.Accepted ? 'accepted' : 'pending', ...n };
    }
    case CommandCode.AuthRequired:
    case CommandCode.UserAuthRequired: {
      const short = needs(NONCE_BYTES / 4);
      if (short) return short;
      const n = names(NONCE_BYTES / 4);
      if (typeof n === 'string') return n;
      return { type: code === CommandCode.AuthRequired ? 'auth-required' : 'user-auth-required', state: byte3, nonce: bytes.slice(p, p + NONCE_BYTES), ...n };
    }
    case CommandCode.InvitationWithAuth:
      return needs(DIGEST_BYTES / 4) ?? { type: 'invitation-auth', digest: bytes.slice(p, p + DIGEST_BYTES) };
    case CommandCode.InvitationWithUserAuth: {
      const short = needs(DIGEST_BYTES / 4);
      if (short) return short;
      const username = readString(bytes, p + DIGEST_BYTES, end, false);
      if (username === undefined) return 'user name is not UTF-8';
      return { type: 'invitation-user-auth', digest: bytes.slice(p, p + DIGEST_BYTES), username };
    }
    case CommandCode.Ping:
    case CommandCode.PingReply:
      return needs(1) ?? { type: code === CommandCode.Ping ? 'ping' : 'ping-reply', id: view.getUint32(p) };
    case CommandCode.RetransmitRequest:
      return needs(1) ?? { type: 'retransmit-request', seq: csd, count: view.getUint16(p) };
    case CommandCode.RetransmitError:
      return needs(1) ?? { type: 'retransmit-error', reason: byte2, seq: view.getUint16(p) };
    case CommandCode.SessionReset:
      return { type: 'session-reset' };
    case CommandCode.ResetReply:
      return { type: 'reset-reply' };
    case CommandCode.ByeReply:
      return { type: 'bye-reply' };
    case CommandCode.Nak:
    case AMIDI2NET_NAK_CODE: {
      const short = needs(1);
      if (short) return short;
      return { type: 'nak', reason: byte2, header: view.getUint32(p), text: readString(bytes, p + 4, end, false) ?? '' };
    }
    case CommandCode.Bye:
      // The text is informative only: unreadable text must not keep a Bye from ending the session.
      return { type: 'bye', reason: byte2, text: readString(bytes, p, end, false) ?? '' };
    case CommandCode.UmpData: {
      const words = new Uint32Array(len);
      for (let i = 0; i < len; i++) words[i] = view.getUint32(p + i * 4);
      for (let i = 0; i < len; i += packetWordCount(words[i]!)) {
        if (i + packetWordCount(words[i]!) > len) return 'UMP Data ends inside a packet';
      }
      return { type: 'ump-data', seq: csd, words };
    }
    default:
      return `unknown command code 0x${code.toString(16).padStart(2, '0')}`;
  }
}

const KNOWN_CODES: ReadonlySet<number> = new Set<number>([...Object.values(CommandCode), AMIDI2NET_NAK_CODE]);

/** Decodes a datagram into its commands and the errors met on the way. Never throws. */
export function decodeDatagram(bytes: Uint8Array): DecodedDatagram {
  const commands: Nm2Command[] = [];
  const headers: number[] = [];
  const errors: Nm2WireError[] = [];
  if (bytes.length < 4 || bytes[0] !== 0x4d || bytes[1] !== 0x49 || bytes[2] !== 0x44 || bytes[3] !== 0x49) {
    errors.push({ kind: 'bad-signature', offset: 0, message: 'the datagram does not start with "MIDI"' });
    return { commands, headers, errors };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const whole = bytes.length - (bytes.length % 4);
  let p = 4;
  while (p < whole) {
    const hdr = view.getUint32(p);
    const end = p + 4 + ((hdr >>> 16) & 0xff) * 4;
    if (end > whole) {
      errors.push({
        kind: 'length-past-end',
        offset: p,
        header: hdr,
        message: `command 0x${(hdr >>> 24).toString(16)} claims ${(hdr >>> 16) & 0xff} payload words past the end of the datagram`,
      });
      break;
    }
    const body = readBody(bytes, view, hdr, p + 4, end);
    if (typeof body !== 'string') {
      commands.push(body);
      headers.push(hdr);
    } else errors.push({ kind: KNOWN_CODES.has(hdr >>> 24) ? 'malformed' : 'unknown-code', offset: p, header: hdr, message: body });
    p = end;
  }
  if (whole !== bytes.length) errors.push({ kind: 'unaligned', offset: whole, message: `${bytes.length % 4} trailing bytes after the last whole word` });
  return { commands, headers, errors };
}
