/**
 * `midl replay --raw`: recorded UMP words sent unchanged inside a fresh Bus session, the way an
 * attacker who captured traffic would replay it. The receiver is expected to refuse every frame (NACK
 * `replay` or `stale`); this module sends them and reports what the receiver answered, read from the
 * control frames (ACK/NACK) that come back on the link (docs/wire.md § Bus frames).
 */
import { BusFrameReader, ControlKind, FrameError, readUmp, type FlexFrame, type IncomingData, type UmpLink } from '../../runtime/index.ts';
import { watchLink } from './link-watch.ts';
import { describeError } from './options.ts';
import type { ClientConnection } from './client.ts';

export interface RawFrame {
  readonly words: Uint32Array;
  /** `file:line`, or the file for a .ump file. */
  readonly where: string;
}

interface Sent {
  readonly address: string;
  readonly qos: number;
}

/** Largest recorded frame read back (the receiver enforces its own limits). */
const MAX_FRAME = 16 * 1024 * 1024;
/** Largest answer (control frame) read from the receiver. */
const MAX_ANSWER = 1024 * 1024;

/** Raw replay needs a flex frame's seq, address and QoS, not its payload: the body is left unconverted. */
const headerOnly = (f: FlexFrame): IncomingData => ({
  kind: f.kind,
  flags: f.flags,
  seq: f.seq,
  address: f.address,
  envelope: { header: f.header, payload: new Uint8Array(0) },
});
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class RawReplay {
  /** Seq of each data frame sent → what it was. */
  private readonly sent = new Map<bigint, Sent>();
  private readonly refused = new Map<bigint, string>();
  private readonly acked = new Set<bigint>();
  /** Seqs an ACK floor covered but listed as refused. */
  private readonly notAcked = new Set<bigint>();
  private ackFloor = -1n;

  /** Puts the answer reader between the link and the client's Bus (pass to openClient). */
  wrap(link: UmpLink): UmpLink {
    // The same reader the Bus reads the link with, so the answers seen here are the ones it sees.
    const answers = new BusFrameReader({ maxFrameBytes: MAX_ANSWER, fromJson: headerOnly });
    return watchLink(link, {
      receive: (words) => {
        for (const r of answers.push(words)) {
          // A frame that does not decode is the Bus's to report.
          if (r instanceof FrameError || r.kind !== 'control') continue;
          const c = r.control;
          if (c.kind === ControlKind.Nack) this.refused.set(c.seq, c.reason);
          if (c.kind === ControlKind.Ack) {
            if (c.floor > this.ackFloor) this.ackFloor = c.floor;
            for (const s of c.seqs) this.acked.add(s);
            // Covered by the floor but refused (its NACK may have been lost on the way).
            for (const s of c.refused ?? []) this.notAcked.add(s);
          }
        }
      },
    });
  }

  /** Sends the frames, waits `waitMs` for answers and prints the report; false when sending failed. */
  async inject(client: ClientConnection, frames: readonly RawFrame[], o: { rate: number | undefined; waitMs: number; target: string }): Promise<boolean> {
    let foreign = 0;
    for (const f of frames) {
      // Recorded words are anyone's bytes: a message that is not a data frame or does not decode (bad
      // checksum, a body the Bus would refuse) is still sent, as an attacker would send it, and counted
      // as not a message. Each recorded line is read on its own, as the receiver will read it.
      const messages = readUmp(f.words).filter((e) => 'kind' in e).length;
      let data = 0;
      for (const r of new BusFrameReader({ maxFrameBytes: MAX_FRAME, fromJson: headerOnly }).push(f.words)) {
        if (r instanceof FrameError || r.kind !== 'data') continue;
        data++;
        this.sent.set(r.frame.seq, { address: r.frame.address, qos: r.frame.envelope.header.qos });
      }
      foreign += messages - data;
    }
    const start = performance.now();
    try {
      for (let i = 0; i < frames.length; i++) {
        if (o.rate !== undefined) {
          const wait = start + (i * 1000) / o.rate - performance.now();
          if (wait > 0) await sleep(wait);
        }
        client.link.send(frames[i]!.words);
      }
    } catch (err) {
      process.stderr.write(`error: raw replay to ${o.target} stopped: ${describeError(err)}\n`);
      return false;
    }
    await sleep(o.waitMs);
    this.report(o.target, foreign);
    return true;
  }

  private report(target: string, foreign: number): void {
    const reasons = new Map<string, number>();
    let acked = 0;
    let silent = 0;
    for (const [seq, s] of this.sent) {
      const reason = this.refused.get(seq);
      if (reason !== undefined) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      else if ((seq <= this.ackFloor && !this.notAcked.has(seq)) || this.acked.has(seq)) acked++;
      else if (s.qos !== 0) silent++;
    }
    const refused = [...reasons.values()].reduce((a, b) => a + b, 0);
    const w = (line: string) => process.stderr.write(`${line}\n`);
    w(
      `raw replay → ${target}: ${this.sent.size} data frame${this.sent.size === 1 ? '' : 's'} sent in a new session${foreign > 0 ? ` (+${foreign} other messages)` : ''}`,
    );
    w(`  refused: ${refused}${refused > 0 ? ` (${[...reasons].map(([r, n]) => `${r}: ${n}`).join(', ')})` : ''}`);
    w(`  acknowledged: ${acked}${acked > 0 ? ' (the receiver took them as new messages)' : ''}`);
    if (silent > 0) w(`  unanswered: ${silent}`);
  }
}
