/**
 * Joins SysEx segments from successive RTP-MIDI packets into whole `F0 … F7` messages, holding at most
 * `maxBytes` of one SysEx: a longer one is reported and dropped up to its end, as is one that lost a
 * segment with a datagram.
 */
import type { CommandItem } from './command-section.ts';
import { RtpMidiError } from './errors.ts';

type Segment = Extract<CommandItem, { kind: 'sysex' }>;

export interface AssembledSysex {
  /** The whole SysEx this segment completed. */
  readonly message?: Uint8Array;
  /** What was wrong with this segment or the SysEx it belongs to. */
  readonly error?: RtpMidiError;
}

export class SysexAssembler {
  private parts: Uint8Array[] = [];
  private size = 0;
  /**
   * In a SysEx: collecting it, or skipping the rest of one that was too large, lost or orphaned; or
   * idle right after a lost datagram, which may have carried the start of a SysEx whose rest follows.
   */
  private state: 'idle' | 'after-gap' | 'collecting' | 'dropping' = 'idle';

  constructor(private readonly maxBytes: number) {}

  push(segment: Segment): AssembledSysex {
    let error: RtpMidiError | undefined;
    if (segment.starts) {
      if (this.state === 'collecting')
        error = new RtpMidiError('malformed', 'SysEx segment', 'a SysEx started before the previous one ended; the previous one is dropped');
      this.begin();
    } else if (this.state === 'idle' || this.state === 'after-gap') {
      const error =
        this.state === 'after-gap'
          ? new RtpMidiError('lost', 'SysEx segment', 'the start of this SysEx was lost with a datagram; dropped up to its end')
          : new RtpMidiError('unexpected', 'SysEx segment', 'a continuation (F7 …) with no SysEx begun; dropped up to its end');
      this.state = segment.ends === 'more' ? 'dropping' : 'idle';
      return { error };
    }
    if (segment.ends === 'cancel') {
      this.reset();
      return error ? { error } : {};
    }
    if (this.state === 'collecting') {
      if (this.size + segment.data.length + 1 > this.maxBytes) {
        error = new RtpMidiError('too-large', 'SysEx segment', `a SysEx longer than ${this.maxBytes} bytes; dropped up to its end`);
        this.parts = [];
        this.state = 'dropping';
      } else {
        this.parts.push(segment.data);
        this.size += segment.data.length;
      }
    }
    if (segment.ends === 'more') return error ? { error } : {};
    const message = this.state === 'collecting' ? this.join() : undefined;
    this.reset();
    return { ...(message ? { message } : {}), ...(error ? { error } : {}) };
  }

  /** A datagram was lost: a SysEx in progress can't be completed. Returns the error to report when one was. */
  lost(): RtpMidiError | undefined {
    if (this.state === 'idle') this.state = 'after-gap';
    if (this.state !== 'collecting') return undefined;
    this.parts = [];
    this.size = 0;
    this.state = 'dropping';
    return new RtpMidiError('lost', 'SysEx segment', 'a datagram carrying part of a SysEx was lost; the SysEx is dropped');
  }

  /** The packet after a gap began with no continuation: no SysEx was cut by the loss. */
  settle(): void {
    if (this.state === 'after-gap') this.state = 'idle';
  }

  private begin(): void {
    this.parts = [Uint8Array.of(0xf0)];
    this.size = 1;
    this.state = 'collecting';
  }

  private join(): Uint8Array {
    const out = new Uint8Array(this.size + 1);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    out[at] = 0xf7;
    return out;
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
    this.state = 'idle';
  }
}
