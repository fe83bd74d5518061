/**
 * The UMP Data stream of one Network MIDI 2.0 session, both ways. Out: packets of one burst become
 * numbered UMP Data commands with their FEC copies, the tail is flushed when quiet, Retransmit Requests
 * are answered. In: commands are put back in order, gaps are asked for and skipped when they stay open.
 * The session creates it once Established, restarts it on Session Reset and stops it when the link goes
 * down; all else goes through `DataStreamOwner`.
 */
import { NamedTimers, type Clock } from './clock.ts';
import { CommandCode, NakReason, RetransmitErrorReason, type Nm2Command, type UmpDataCommand } from './commands.ts';
import { ReceiveWindow } from './receive-window.ts';
import { RetransmitBudget } from './retransmit-budget.ts';
import { SendWindow, commandBytes, seqDiff } from './send-window.ts';
import type { Nm2Stats } from './stats.ts';
import { RETRANSMIT_REPLY_MAX_BYTES, type DataStreamTuning } from './tuning.ts';

/** What a data stream needs from the session that carries it. */
export interface DataStreamOwner {
  readonly clock: Clock;
  /** The endpoint's counters; the stream counts FEC duplicates, retransmits, skipped gaps and deliveries. */
  readonly stats: Nm2Stats;
  /** Sends `commands` to the peer now. */
  transmit(commands: Nm2Command[]): void;
  /** Adds `commands` to the session's answer to the datagram being handled (sent once all of it is handled). */
  reply(commands: Nm2Command[]): void;
  /** Hands whole UMP packets, in order, to the application. */
  deliver(words: Uint32Array): void;
}

export class UmpDataStream {
  private readonly tx: SendWindow;
  private readonly retransmitBudget = new RetransmitBudget();
  private readonly rx: ReceiveWindow;
  private readonly timers: NamedTimers<'idle' | 'gap'>;
  private stopped = false;

  // Out: the packets of the current synchronous burst of `send()` calls, and the idle flushes since the last data.
  private burst: Uint32Array[] = [];
  private flushQueued = false;
  private idleFlushes = 0;

  // In: what the datagram being handled put in order (handed over once all of it is handled), and the gap being repaired.
  private arrived: Uint32Array[] = [];
  private gapSeq: number | undefined;
  private gapSince = 0;
  private gapRequests = 0;
  /** Spec §7.2.3: a peer that NAKs a Retransmit Request as not supported is not asked again, not even after a Session Reset. */
  private retransmitSupported = true;

  constructor(
    private readonly owner: DataStreamOwner,
    private readonly tuning: DataStreamTuning,
  ) {
    this.tx = new SendWindow(tuning.retransmitBuffer, tuning.fec);
    // Hold as many out-of-order commands as the peer may be asked to resend, and a few at least.
    this.rx = new ReceiveWindow(Math.max(16, tuning.retransmitBuffer));
    this.timers = new NamedTimers(owner.clock);
  }

  // ——— out ———

  /** Queues whole UMP packets; the packets of one synchronous burst go out together, in full UMP Data commands. */
  send(words: Uint32Array): void {
    if (words.length === 0) return;
    this.burst.push(words.slice());
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Sends the queued burst now (closing does not wait for the burst to end). */
  flush(): void {
    this.flushQueued = false;
    if (this.burst.length === 0 || this.stopped) {
      this.burst = [];
      return;
    }
    const total = this.burst.reduce((n, w) => n + w.length, 0);
    const words = new Uint32Array(total);
    let at = 0;
    for (const w of this.burst) {
      words.set(w, at);
      at += w.length;
    }
    this.burst = [];
    // One datagram per group: the groups already hold their FEC copies and fit in 1400 bytes.
    for (const datagram of this.tx.pack(this.sendNew(words))) this.owner.transmit(datagram);
    this.idleFlushes = 0;
    this.armIdleFlush();
  }

  /**
   * After quiet, zero-length UMP Data (each with its own seq, as amidi2net) carries the last commands
   * again as FEC (the first one all new commands of the last data datagram) and lets the peer see a
   * lost tail as a gap; fec + 1 of them, then silence.
   */
  private armIdleFlush(): void {
    this.timers.set('idle', this.tuning.idleFlushMs, () => {
      for (const datagram of this.tx.pack(this.sendNew(new Uint32Array(0)))) this.owner.transmit(datagram);
      if (++this.idleFlushes < this.tuning.fec + 1) this.armIdleFlush();
    });
  }

  /** Numbers `words` as new UMP Data commands; the bytes they take earn the retransmit budget its share. */
  private sendNew(words: Uint32Array): UmpDataCommand[] {
    const commands = this.tx.push(words);
    for (const cmd of commands) this.retransmitBudget.earn(commandBytes(cmd));
    return commands;
  }

  /**
   * Retransmit Request: resends what is still held of the range, at most RETRANSMIT_REPLY_MAX_BYTES of it
   * (the receiver asks again for the rest) and no more than the session's retransmit budget holds. When
   * `seq` itself is gone (or was never sent), or the budget is spent, Retransmit Error 0x01 follows the
   * resent commands, for `seq` or for the first one not resent, so that a receiver skips its gap instead
   * of asking again, and keeps the later commands we could still give it.
   */
  retransmitRequested(seq: number, count: number): void {
    const held = this.tx.range(seq, count);
    const resent: UmpDataCommand[] = [];
    let bytes = 0;
    let spent = false;
    for (const cmd of held) {
      const size = commandBytes(cmd);
      if (bytes + size > RETRANSMIT_REPLY_MAX_BYTES) break;
      if (!this.retransmitBudget.take(size)) {
        spent = true;
        break;
      }
      bytes += size;
      resent.push(cmd);
    }
    this.owner.stats.retransmitsServed += resent.length;
    this.owner.stats.retransmitsRationed += held.length - resent.length;
    if (resent.length > 0) this.owner.reply(resent);
    const unavailable = held[0]?.seq !== seq ? seq : spent ? held[resent.length]!.seq : undefined;
    if (unavailable !== undefined) {
      this.owner.stats.retransmitErrorsSent++;
      this.owner.reply([{ type: 'retransmit-error', reason: RetransmitErrorReason.DataNotAvailable, seq: unavailable }]);
    }
  }

  /** A NAK from the peer: one of a Retransmit Request as not supported means no request is sent again. */
  nakReceived(nak: { readonly reason: number; readonly header: number }): void {
    if (nak.header >>> 24 === CommandCode.RetransmitRequest && nak.reason === NakReason.CommandNotSupported) this.retransmitSupported = false;
  }

  // ——— in ———

  /** UMP Data `seq` from the peer; what it puts in order is handed over by `handOver()`. */
  receive(seq: number, words: Uint32Array): void {
    const outcome = this.rx.accept(seq, words, this.arrived, (n) => this.countSkipped(n));
    if (outcome === 'duplicate') this.owner.stats.fecDuplicatesDropped++;
  }

  /** Retransmit Error: the peer cannot resend `seq`; the gap is given up on now if `seq` is in it. */
  cannotRetransmit(seq: number): void {
    const gap = this.rx.gap();
    if (!gap) return;
    const into = seqDiff(seq, gap.seq);
    if (into < 0 || into >= gap.count) return;
    this.countSkipped(this.rx.skipGap(this.arrived));
    this.timers.cancel('gap');
  }

  /** The datagram is handled: hands what it put in order to the application, then watches the gap it left open. */
  handOver(): void {
    const arrived = this.arrived;
    this.arrived = [];
    for (const words of arrived) {
      this.owner.stats.commandsDelivered++;
      // The application may close the link while taking a packet: the rest is not handed to it.
      if (words.length > 0 && !this.stopped) this.owner.deliver(words);
    }
    this.watchGap();
  }

  private watchGap(): void {
    if (this.stopped || this.timers.has('gap')) return;
    const gap = this.rx.gap();
    if (!gap) return;
    if (gap.seq !== this.gapSeq) {
      this.gapSeq = gap.seq;
      this.gapSince = this.owner.clock.now();
      this.gapRequests = 0;
    }
    this.timers.set('gap', this.tuning.retransmitDelayMs, () => this.repairGap());
  }

  private repairGap(): void {
    const gap = this.rx.gap();
    if (!gap) return;
    if (gap.seq !== this.gapSeq) {
      this.watchGap(); // the old gap filled; a new one gets its own deadline
      return;
    }
    const late = this.owner.clock.now() - this.gapSince >= this.tuning.gapDeadlineMs;
    if (!this.retransmitSupported || late || this.gapRequests >= this.tuning.maxRetransmitRequests) {
      this.countSkipped(this.rx.skipGap(this.arrived));
      this.handOver();
      return;
    }
    this.gapRequests++;
    this.owner.stats.retransmitsRequested++;
    this.owner.transmit([{ type: 'retransmit-request', seq: gap.seq, count: Math.min(gap.count, 0xffff) }]);
    this.timers.set('gap', this.tuning.retransmitDelayMs * 2, () => this.repairGap());
  }

  private countSkipped(n: number): void {
    if (n <= 0) return;
    this.owner.stats.gapsSkipped++;
    this.owner.stats.commandsSkipped += n;
  }

  // ——— lifecycle, driven by the session ———

  /** Session Reset, this side's numbering: the next command sent is seq 0 again, with no FEC copies from before. */
  restartSending(): void {
    this.tx.reset();
    this.timers.cancel('idle');
  }

  /** Session Reset, the peer's numbering: the next UMP Data received sets the expectation; what already arrived in order stays. */
  restartReceiving(): void {
    this.rx.reset();
    this.gapSeq = undefined;
    this.timers.cancel('gap');
  }

  /** A Reset Reply we did not ask for: the peer restarted its numbering for a Session Reset forged in our name. */
  peerRestartedUnasked(): void {
    this.rx.mayRestart();
  }

  /** The session is no longer Established: nothing more is sent, asked for or handed over. */
  stop(): void {
    this.stopped = true;
    this.burst = [];
    this.timers.cancelAll();
  }
}
