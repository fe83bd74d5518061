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
  /**
   * Commands stored so far; the ring is indexed by this count, not by seq, because a capacity that does
   * not divide 65536 would otherwise put the commands just after a wrap into slots still in use.
   */
  private written = 0;
  private readonly ring: (UmpDataCommand | undefined)[];

  /**
   * `capacity` is raised to `fec + 1` (the FEC copies come from this buffer) and capped at 32768 so
   * that every stored seq is unambiguous as an int16 difference.
   */
  constructor(
    capacity: number,
    private readonly fec: number,
  ) {
    this.ring = new Array<UmpDataCommand | undefined>(Math.max(1, fec + 1, Math.min(capacity, 0x8000)));
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
    this.ring[this.written % this.ring.length] = cmd;
    this.written++;
    this.nextSeq = (this.nextSeq + 1) & 0xffff;
    this.stored = Math.min(this.stored + 1, this.ring.length);
    return cmd;
  }

  /** The stored command numbered `seq`, if it is still held. */
  get(seq: number): UmpDataCommand | undefined {
    const back = seqDiff(this.nextSeq, seq);
    if (back < 1 || back > this.stored) return undefined;
    return this.ring[(this.written - back) % this.ring.length];
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
   * The commands still held among the `count` from `seq` (0 = up to the newest, as amidi2net asks), in
   * order. Those too old to be held are left out at the front, so the first one's seq tells whether
   * `seq` itself could be answered; seqs not sent yet are left out at the end.
   */
  range(seq: number, count: number): UmpDataCommand[] {
    const upToNewest = seqDiff(this.nextSeq, seq);
    if (upToNewest <= 0) return [];
    const n = Math.min(count === 0 ? upToNewest : count, upToNewest);
    const out: UmpDataCommand[] = [];
    for (let i = Math.max(0, upToNewest - this.stored); i < n; i++) {
      const cmd = this.get((seq + i) & 0xffff);
      if (cmd) out.push(cmd);
    }
    return out;
  }

  reset(): void {
    this.nextSeq = 0;
    this.stored = 0;
    this.written = 0;
    this.ring.fill(undefined);
  }
}
