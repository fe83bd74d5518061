/**
 * The sending side of a session's UMP Data stream: cuts outgoing packets into UMP Data commands of at
 * most 64 words, numbers them (16-bit, wrapping), keeps the last `capacity` of them for Retransmit
 * Requests, and packs new commands into datagrams with their FEC copies in front.
 */
import { packetWordCount } from '../../ump/mt.ts';
import { UMP_DATA_MAX_WORDS, type UmpDataCommand } from './commands.ts';
import { MAX_DATAGRAM_BYTES } from './wire.ts';

/** Room for commands in one datagram (after the "MIDI" signature). */
const PAYLOAD_BYTES = MAX_DATAGRAM_BYTES - 4;
/** A full UMP Data command: header + 64 words. */
const MAX_COMMAND_BYTES = 4 + UMP_DATA_MAX_WORDS * 4;
/**
 * With FEC on, the new commands of one datagram take at most this much, so that the next datagram can
 * repeat all of them and still carry a full new command (1136 + 260 = 1396): every datagram's new
 * commands are then always repeated whole in the next one.
 */
const NEW_BYTES_WITH_FEC = PAYLOAD_BYTES - MAX_COMMAND_BYTES;
/** FEC copies in one datagram at most (they take at most NEW_BYTES_WITH_FEC, a command at least 4 bytes): how far back a copy can be. */
export const MAX_FEC_COPY_COMMANDS = Math.floor(NEW_BYTES_WITH_FEC / 4);

export const commandBytes = (cmd: UmpDataCommand): number => 4 + cmd.words.length * 4;

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
   * The last commands sent as new (oldest first), kept apart from the ring for the FEC copies: a burst
   * is stored whole before it is packed, so a small ring may already have dropped the commands the
   * next datagram must repeat. Holds at most max(fec, new commands of the last datagram).
   */
  private recent: UmpDataCommand[] = [];
  /** New commands in the last datagram packed. */
  private lastNew = 0;

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

  /**
   * Lays freshly pushed `cmds` (in seq order) out as datagrams, each the list of its commands in seq
   * order: FEC copies first, then as many new commands as fit in 1400 bytes.
   *
   * FEC (fec > 0): each datagram repeats in front the commands sent just before its new ones — all the
   * new commands of the previous datagram, and at least the last `fec` — so the loss of any one
   * datagram is repaired by the next (or by the idle flush after the last), and a stream of
   * one-command bursts looks as it always did (each command with the `fec` before it). The copies
   * are the seqs right before the new ones, so the seqs of a datagram are consecutive and a receiver
   * that only takes the next seq in order (the Workbench) still reads it. New commands stay within
   * NEW_BYTES_WITH_FEC, and the copies within the same bound, so both always fit. fec = 0: no copies,
   * new commands fill the datagram.
   */
  pack(cmds: readonly UmpDataCommand[]): UmpDataCommand[][] {
    const out: UmpDataCommand[][] = [];
    const newCap = this.fec > 0 ? NEW_BYTES_WITH_FEC : PAYLOAD_BYTES;
    for (let i = 0; i < cmds.length;) {
      const datagram: UmpDataCommand[] = [];
      let bytes = 0;
      if (this.fec > 0) {
        const want = Math.max(this.fec, this.lastNew);
        let from = this.recent.length;
        while (from > 0 && this.recent.length - from < want && bytes + commandBytes(this.recent[from - 1]!) <= NEW_BYTES_WITH_FEC)
          bytes += commandBytes(this.recent[--from]!);
        for (let k = from; k < this.recent.length; k++) datagram.push(this.recent[k]!);
      }
      const first = i;
      let newBytes = 0;
      while (i < cmds.length) {
        const b = commandBytes(cmds[i]!);
        // At least one new command per datagram (a lone command always fits: see NEW_BYTES_WITH_FEC).
        if (i > first && (newBytes + b > newCap || bytes + newBytes + b > PAYLOAD_BYTES)) break;
        datagram.push(cmds[i++]!);
        newBytes += b;
      }
      this.lastNew = i - first;
      this.recent.push(...cmds.slice(first, i));
      const keep = Math.max(this.fec, this.lastNew);
      if (this.recent.length > keep) this.recent = this.recent.slice(-keep);
      out.push(datagram);
    }
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
    this.recent = [];
    this.lastNew = 0;
  }
}
