/**
 * `midl replay --raw`: recorded UMP words sent unchanged inside a fresh Bus session, the way an
 * attacker who captured traffic would replay it. The receiver is expected to refuse every frame (NACK
 * `replay` or `stale`); this module sends them and reports what the receiver answered, read from the
 * control frames (ACK/NACK) that come back on the link (docs/wire.md § Bus frames).
 */
import { readUmp, type UmpLink } from '../../runtime/index.ts';
import { CONTROL_SUB_ID, DATA_SUB_ID, decodeDataFrame, frameOf } from '../../runtime/bus/frame.ts';
import { ControlKind, decodeControl } from '../../runtime/bus/control.ts';
import { tapSysEx8 } from './link-tap.ts';
import { describeError } from './options.ts';
import type { ClientSession } from './session.ts';

export interface RawFrame {
  readonly words: Uint32Array;
  /** `file:line`, or the file for a .ump file. */
  readonly where: string;
}

interface Sent {
  readonly address: string;
  readonly qos: number;
}

const MAX_PAYLOAD = 16 * 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class RawReplay {
  /** Seq of each data frame sent → what it was. */
  private readonly sent = new Map<bigint, Sent>();
  private readonly refused = new Map<bigint, string>();
  private readonly acked = new Set<bigint>();
  private ackFloor = -1n;

  /** Puts the answer reader between the link and the client's Bus (pass to openClient). */
  wrap(link: UmpLink): UmpLink {
    return tapSysEx8(link, (_words, data) => {
      try {
        const frame = frameOf(data);
        if (!frame || frame.subId !== CONTROL_SUB_ID) return;
        const c = decodeControl(frame.body);
        if (c.kind === ControlKind.Nack) this.refused.set(c.seq, c.reason);
        if (c.kind === ControlKind.Ack) {
          if (c.floor > this.ackFloor) this.ackFloor = c.floor;
          for (const s of c.seqs) this.acked.add(s);
        }
      } catch {
        // A control frame the tap cannot read is the Bus's to report.
      }
    });
  }

  /** Sends the frames, waits `waitMs` for answers and prints the report; false when sending failed. */
  async inject(session: ClientSession, frames: readonly RawFrame[], o: { rate: number | undefined; waitMs: number; target: string }): Promise<boolean> {
    let packets = 0;
    let foreign = 0;
    for (const f of frames) {
      for (const e of readUmp(f.words)) {
        if (!('kind' in e)) continue;
        packets++;
        // Recorded words are anyone's bytes: a frame that does not decode (bad checksum, a body the
        // Bus would refuse) is still sent, as an attacker would send it, and counted as not a message.
        try {
          const frame = e.kind === 'sysex8' ? frameOf(e.data) : undefined;
          if (!frame || frame.subId !== DATA_SUB_ID) {
            foreign++;
            continue;
          }
          const d = decodeDataFrame(frame.body, MAX_PAYLOAD);
          this.sent.set(d.seq, { address: d.address, qos: d.envelope.header.qos });
        } catch {
          foreign++;
        }
      }
    }
    const start = performance.now();
    try {
      for (let i = 0; i < frames.length; i++) {
        if (o.rate !== undefined) {
          const wait = start + (i * 1000) / o.rate - performance.now();
          if (wait > 0) await sleep(wait);
        }
        session.link.send(frames[i]!.words);
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
      else if (seq <= this.ackFloor || this.acked.has(seq)) acked++;
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
