/**
 * The sending side of a session's UMP Data stream: cuts outgoing packets into UMP Data commands of at
 * most 64 words, numbers them (16-bit, wrapping) and keeps the last `capacity` of them for FEC copies
 * and Retransmit Requests.
 */
import { packetWordCount } from '../../ump/mt.ts';
import { UMP_DATA_MAX_WORDS, type UmpDataCommand } from './commands.ts';

/** int16 difference a − b of two 16-bit sequence numbers (how far a is ahead of b). */
export function seqDiff(a: number, b: number): number {
  return (((a - b) & 0xffff) << 16) >> 16;
}

export class SendWindow {
  private nextSeq = 0;
  private stored = 0;
  private readonly ring: (UmpDataCommand | undefined)[];

  /** `capacity` is capped at 32768 so that every stored seq is unambiguous as an int16 difference. */
  constructor(
    capacity: number,
    private readonly fec: number,
  ) {
    this.ring = new Array<UmpDataCommand | undefined>(Math.max(1, Math.min(capacity, 0x8000)));
  }

  /** Numbers and stores `words` (whole packets) as UMP Data commands; an empty `words` gives one zero-length command. */
  push(words: Uint32Array): UmpDataCommand[] {
    const out: UmpDataCommand[] = [];
    let start = 0;
    let i = 0;
    while (i < words.length) {
      const size = packetWordCount(words[i]!);
      if (i + size - start > UMP_DATA_MAX_WORDS) {
        out.push(this.store(words.slice(start, i)));
        start = i;
      }
      i += size;
    }
    if (start < words.length || words.length === 0) out.push(this.store(words.slice(start)));
    return out;
  }

  private store(words: Uint32Array): UmpDataCommand {
    const cmd: UmpDataCommand = { type: 'ump-data', seq: this.nextSeq, words };
    this.ring[this.nextSeq % this.ring.length] = cmd;
    this.nextSeq = (this.nextSeq + 1) & 0xffff;
    this.stored = Math.min(this.stored + 1, this.ring.length);
    return cmd;
  }

  /** The stored command numbered `seq`, if it is still held. */
  get(seq: number): UmpDataCommand | undefined {
    const back = seqDiff(this.nextSeq, seq);
    if (back < 1 || back > this.stored) return undefined;
    const cmd = this.ring[seq % this.ring.length];
    return cmd?.seq === seq ? cmd : undefined;
  }

  /** `cmd` preceded by the up-to-`fec` commands sent before it (oldest first): one datagram's worth. */
  withFec(cmd: UmpDataCommand): UmpDataCommand[] {
    const out: UmpDataCommand[] = [];
    for (let k = this.fec; k >= 1; k--) {
      const prev = this.get((cmd.seq - k) & 0xffff);
      if (prev) out.push(prev);
    }
    out.push(cmd);
    return out;
  }

  /**
   * What a Retransmit Request for `count` commands from `seq` can be answered with (0 = up to the
   * newest, as amidi2net asks), at most `capacity` commands; empty when `seq` itself is gone.
   */
  range(seq: number, count: number): UmpDataCommand[] {
    const available = seqDiff(this.nextSeq, seq);
    const n = Math.min(count === 0 ? available : count, this.ring.length);
    const out: UmpDataCommand[] = [];
    for (let i = 0; i < n; i++) {
      const cmd = this.get((seq + i) & 0xffff);
      if (!cmd) break;
      out.push(cmd);
    }
    return out;
  }

  reset(): void {
    this.nextSeq = 0;
    this.stored = 0;
    this.ring.fill(undefined);
  }
}
