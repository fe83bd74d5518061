/**
 * A MIDI-CI initiator over one link's UMP: Discovery (broadcast, collecting the replies for a while),
 * Profile Inquiry and PE Get of one responder, each bounded in time and in what it holds. It is what
 * `midl ci` uses; it answers nothing itself. Received CI is group-0 SysEx7 (link-responder.ts).
 */
import { UmpError, UmpReader, packSysEx7 } from '../ump/index.ts';
import { BROADCAST_MUID, CI_VERSION_1_2, CiCategory, CiDeviceId, PeEncoding } from './constants.ts';
import { decodeCiMessage, encodeCiMessage } from './codec.ts';
import { CiError, CiErrorCode as E } from './errors.ts';
import { CI_GROUP } from './link-responder.ts';
import type { CiDiscoveryReply, CiMessage, ProfileId } from './messages.ts';
import { DEFAULT_PE_BODY_MAX_BYTES, decodePeBody } from './pe-body.ts';
import { encodePeHeader, parsePeHeader, type PeHeader } from './pe-header.ts';
import { PeReassembler } from './reassembler.ts';
import { MIDL_CI_IDENTITY } from './responder.ts';

export interface CiInitiatorOptions {
  /** Sends UMP packets on the link. */
  readonly send: (words: Uint32Array) => void;
  /** Largest SysEx this side receives, announced in its Discovery (replies are chunked to it). Default 4096. */
  readonly maxSysExSize?: number;
  /** Largest decoded PE body accepted. Default 4 MiB. */
  readonly maxBodyBytes?: number;
  /** A 32-bit random number (tests inject one). Default Web Crypto. */
  readonly random?: () => number;
}

export interface CiPeResult {
  readonly header: PeHeader;
  /** The decoded body (its `mutualEncoding` undone). */
  readonly body: Uint8Array;
}

interface Waiter {
  readonly accept: (m: CiMessage) => boolean;
}

export class CiInitiator {
  readonly muid: number;
  private readonly reader = new UmpReader({ maxMessageBytes: 1 << 20, maxOpenStreams: 16, maxBufferedBytes: 8 << 20 });
  private readonly waiters = new Set<Waiter>();
  private readonly reassembler: PeReassembler;
  private readonly maxSysExSize: number;
  private nextRequest = 0;
  /** Received CI bytes that did not decode, and UMP problems of the link. */
  refused = 0;

  constructor(private readonly options: CiInitiatorOptions) {
    const random =
      options.random ??
      (() => (globalThis as unknown as { crypto: { getRandomValues(a: Uint32Array): Uint32Array } }).crypto.getRandomValues(new Uint32Array(1))[0]!);
    let muid = random() & 0x0fffffff;
    while (muid > 0x0ffffeff) muid = random() & 0x0fffffff;
    this.muid = muid;
    this.maxSysExSize = options.maxSysExSize ?? 4096;
    this.reassembler = new PeReassembler({ maxBodyBytes: options.maxBodyBytes ?? DEFAULT_PE_BODY_MAX_BYTES, maxOpen: 4 });
  }

  /** Feeds what the link received. */
  receive(words: Uint32Array): void {
    for (const ev of this.reader.push(words)) {
      if (ev instanceof UmpError) {
        this.refused++;
        continue;
      }
      if (ev.kind !== 'sysex7' || ev.group !== CI_GROUP) continue;
      const m = decodeCiMessage(ev.data);
      if (m instanceof CiError) {
        if (ev.data[0] === 0x7e) this.refused++;
        continue;
      }
      if (m.destination !== this.muid && m.destination !== BROADCAST_MUID) continue;
      for (const w of [...this.waiters]) if (w.accept(m)) break;
    }
  }

  /** Broadcasts a Discovery and returns the replies that arrive within `waitMs` (at most `max`). */
  async discover(waitMs: number, max = 64): Promise<CiDiscoveryReply[]> {
    const replies: CiDiscoveryReply[] = [];
    const seen = new Set<number>();
    const waiter: Waiter = {
      accept: (m) => {
        if (m.kind !== 'discovery-reply' || seen.has(m.source) || replies.length >= max) return false;
        seen.add(m.source);
        replies.push(m);
        return true;
      },
    };
    this.waiters.add(waiter);
    try {
      this.sendCi({
        kind: 'discovery',
        deviceId: CiDeviceId.FunctionBlock,
        version: CI_VERSION_1_2,
        source: this.muid,
        destination: BROADCAST_MUID,
        manufacturer: MIDL_CI_IDENTITY.manufacturer,
        family: MIDL_CI_IDENTITY.family,
        model: 0x0002, // a midl initiator (`midl ci`)
        softwareRevision: [0, 0, 0, 0],
        categories: CiCategory.ProfileConfiguration | CiCategory.PropertyExchange,
        maxSysExSize: this.maxSysExSize,
        outputPathId: 0,
      });
      await sleep(waitMs);
      return replies;
    } finally {
      this.waiters.delete(waiter);
    }
  }

  /** The enabled and disabled profiles of `muid`'s function block. */
  async profiles(muid: number, timeoutMs: number): Promise<{ enabled: readonly ProfileId[]; disabled: readonly ProfileId[] }> {
    const reply = await this.ask(
      { kind: 'profile-inquiry', deviceId: CiDeviceId.FunctionBlock, version: CI_VERSION_1_2, source: this.muid, destination: muid },
      (m) => m.source === muid && (m.kind === 'profile-inquiry-reply' || m.kind === 'nak'),
      timeoutMs,
    );
    if (reply.kind !== 'profile-inquiry-reply') throw new CiError(E.BadField, `${hexMuid(muid)} refused the Profile Inquiry (NAK)`);
    return { enabled: reply.enabled, disabled: reply.disabled };
  }

  /** PE Get of `resource` from `muid`; the reply's header and decoded body (the caller looks at its status). */
  async get(muid: number, resource: string, timeoutMs: number): Promise<CiPeResult> {
    const requestId = this.nextRequest++ & 0x7f;
    const header = encodePeHeader({ resource });
    let done: ((r: { header: Uint8Array; body: Uint8Array } | CiError) => void) | undefined;
    const result = new Promise<{ header: Uint8Array; body: Uint8Array } | CiError>((resolve) => (done = resolve));
    const waiter: Waiter = {
      accept: (m) => {
        if (m.source !== muid) return false;
        if (m.kind === 'nak') {
          done?.(new CiError(E.BadField, `${hexMuid(muid)} refused the PE Get (NAK 0x${m.statusCode.toString(16)}: ${m.text})`));
          return true;
        }
        if (m.kind !== 'pe-get-reply' || m.requestId !== requestId) return false;
        const got = this.reassembler.accept(m);
        if (got instanceof CiError) done?.(got);
        else if (got.status === 'complete') done?.({ header: got.header, body: got.body });
        return true;
      },
    };
    this.waiters.add(waiter);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      this.sendCi({
        kind: 'pe-get',
        deviceId: CiDeviceId.FunctionBlock,
        version: CI_VERSION_1_2,
        source: this.muid,
        destination: muid,
        requestId,
        header,
        numChunks: 1,
        thisChunk: 1,
        body: new Uint8Array(0),
      });
      const timeout = new Promise<CiError>((resolve) => {
        timer = setTimeout(() => resolve(new CiError(E.Timeout, `no PE Get reply for ${resource} from ${hexMuid(muid)} within ${timeoutMs} ms`)), timeoutMs);
      });
      const got = await Promise.race([result, timeout]);
      if (got instanceof CiError) throw got;
      const parsed = parsePeHeader(got.header);
      if (parsed instanceof CiError) throw parsed;
      const body = await decodePeBody(got.body, parsed.mutualEncoding ?? PeEncoding.Ascii, this.options.maxBodyBytes ?? DEFAULT_PE_BODY_MAX_BYTES);
      if (body instanceof CiError) throw body;
      return { header: parsed, body };
    } finally {
      clearTimeout(timer);
      this.waiters.delete(waiter);
    }
  }

  private async ask(m: CiMessage, fits: (m: CiMessage) => boolean, timeoutMs: number): Promise<CiMessage> {
    let done: ((m: CiMessage) => void) | undefined;
    const reply = new Promise<CiMessage>((resolve) => (done = resolve));
    const waiter: Waiter = {
      accept: (got) => {
        if (!fits(got)) return false;
        done?.(got);
        return true;
      },
    };
    this.waiters.add(waiter);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      this.sendCi(m);
      const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
      const got = await Promise.race([reply, timeout]);
      if (!got) throw new CiError(E.Timeout, `no answer to the ${m.kind} from ${hexMuid(m.destination)} within ${timeoutMs} ms`);
      return got;
    } finally {
      clearTimeout(timer);
      this.waiters.delete(waiter);
    }
  }

  private sendCi(m: CiMessage): void {
    this.options.send(packSysEx7(encodeCiMessage(m), { group: CI_GROUP }));
  }
}

/** A MUID as midl prints it: `0x` and 7 hex digits. */
export function hexMuid(muid: number): string {
  return `0x${muid.toString(16).padStart(7, '0')}`;
}

/** Bytes as midl prints a profile id or manufacturer id: hex, space-separated, e.g. `7D 00 00 6D 01`. */
export function hexProfile(p: readonly number[]): string {
  return p.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
