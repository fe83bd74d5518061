/**
 * MIDI-CI over UMP: picks the MIDI-CI messages out of a link's foreign traffic (one complete SysEx7
 * message, MT 0x3, on group 0, whose data starts `7E <dev> 0D`), hands them to a `CiResponder` and sends
 * its answers back as group-0 SysEx7 on the same link. midl's own frames on SysEx7 start `7D` and never
 * reach here. Hostile CI bytes are counted and reported (bounded: the first few of each kind), never thrown.
 */
import { UmpError, decodeSysEx7Packet, packSysEx7 } from '../ump/index.ts';
import { SUB_ID_MIDI_CI, UNIVERSAL_NON_REAL_TIME } from './constants.ts';
import { decodeCiMessage, encodeCiMessage } from './codec.ts';
import { CiError } from './errors.ts';
import type { CiResponder } from './responder.ts';

/** The group MIDI-CI travels on (the bus's control group: its frames start 7D, CI's 7E). */
export const CI_GROUP = 0;

/** Messages a bad CI message is reported for, per error code, before it is only counted. */
const REPORTED_PER_CODE = 5;

/**
 * The SysEx7 data of one complete group-0 SysEx7 message whose data starts `7E <dev> 0D` (MIDI-CI), or
 * undefined for anything else (another group, type or SysEx, or packets that do not make one message).
 */
export function ciSysEx7Data(words: Uint32Array): Uint8Array | undefined {
  if (words.length < 2 || words.length % 2 !== 0 || words[0]! >>> 28 !== 0x3 || ((words[0]! >>> 24) & 0xf) !== CI_GROUP) return undefined;
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < words.length; i += 2) {
    if (words[i]! >>> 28 !== 0x3 || ((words[i]! >>> 24) & 0xf) !== CI_GROUP) return undefined;
    let packet;
    try {
      packet = decodeSysEx7Packet(words, i);
    } catch (err) {
      if (err instanceof UmpError) return undefined; // the link's reader let it through whole: not ours to judge
      throw err;
    }
    parts.push(packet.data);
    total += packet.data.length;
  }
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return data.length >= 3 && data[0] === UNIVERSAL_NON_REAL_TIME && data[2] === SUB_ID_MIDI_CI ? data : undefined;
}

export interface CiLinkResponderOptions {
  /** Requests being answered at once (a PE body in zlib takes a while); past it a CI message is dropped and counted. Default 16. */
  readonly maxPending?: number;
  /** A CI message that did not decode, or an answer that could not be sent (bounded: the first few of each kind). */
  readonly onError?: (error: unknown, from: string) => void;
}

export class CiLinkResponder {
  /** CI messages taken so far. */
  received = 0;
  /** CI messages that did not decode, by `CiError` code. */
  readonly malformed = new Map<string, number>();
  /** Answers that could not be sent (the link went down, or the responder failed). */
  failed = 0;
  /** CI messages dropped because `maxPending` requests were being answered already. */
  dropped = 0;
  private pending = 0;
  private readonly maxPending: number;
  private readonly onError: (error: unknown, from: string) => void;

  constructor(
    readonly responder: CiResponder,
    options: CiLinkResponderOptions = {},
  ) {
    this.maxPending = options.maxPending ?? 16;
    this.onError = options.onError ?? ((error, from) => console.error(`midl MIDI-CI: ${from}:`, error));
  }

  /**
   * Takes one complete UMP message of a link (as `NetworkBus`'s `onForeignUmp` hands it over): true when
   * it is MIDI-CI, which is then answered through `send` (the same link); false for other traffic.
   */
  take(words: Uint32Array, send: (words: Uint32Array) => void, from: string): boolean {
    const data = ciSysEx7Data(words);
    if (!data) return false;
    this.received++;
    const message = decodeCiMessage(data);
    if (message instanceof CiError) {
      const seen = (this.malformed.get(message.code) ?? 0) + 1;
      this.malformed.set(message.code, seen);
      if (seen <= REPORTED_PER_CODE)
        this.onError(
          new CiError(
            message.code,
            `a MIDI-CI message refused (${seen <= REPORTED_PER_CODE - 1 ? '' : 'last report of this kind; '}${message.message})`,
            message.offset,
          ),
          from,
        );
      return true;
    }
    if (this.pending >= this.maxPending) {
      if (++this.dropped <= REPORTED_PER_CODE)
        this.onError(new CiError('too-large', `${this.pending} MIDI-CI requests are being answered already; a ${message.kind} dropped`), from);
      return true;
    }
    this.pending++;
    this.responder
      .handle(message)
      .then((answers) => {
        for (const a of answers) send(packSysEx7(encodeCiMessage(a), { group: CI_GROUP }));
      })
      .catch((err: unknown) => this.fail(err, from))
      .finally(() => this.pending--);
    return true;
  }

  private fail(err: unknown, from: string): void {
    this.failed++;
    if (this.failed <= REPORTED_PER_CODE) this.onError(err, from);
  }
}
