/**
 * What the reliable-delivery layer of one bus session counts (the SSE plan's link metrics): UMP bytes
 * each way, ACK and NACK frames each way, retransmissions, sequence gaps and how far out of order frames
 * arrived, and the recent round-trip times. Plain counters and one fixed ring, touched on the paths
 * that already run per frame, so that measuring costs no allocation per message; figures such as
 * percentiles are worked out only when someone reads them (`snapshot`).
 */
import type { LinkReport } from '../protocol/types/fountain.telemetry.ts';
import { quantile } from './telemetry.ts';

/** Round-trip samples kept per session: the most recent ones, which the percentiles describe. */
export const RTT_SAMPLES = 256;

export interface PeerTraffic {
  /** UMP bytes put on the session's link (4 per UMP word: data, control and retransmitted frames alike). */
  readonly bytesSent: number;
  /** UMP bytes read from the session's link (everything it carried, bus frames or not). */
  readonly bytesReceived: number;
  /** ACK control frames sent (one may acknowledge many sequence numbers). */
  readonly acksSent: number;
  readonly acksReceived: number;
  /**
   * NACK control frames sent: a NACK refuses one frame (stale, not allowed, backpressure…) and repeats
   * for its retransmitted copies. Loss is not NACKed: the sender retransmits what no ACK covered in time.
   */
  readonly nacksSent: number;
  readonly nacksReceived: number;
  /** Frames sent again because no ACK came within the retransmission timeout. */
  readonly retransmits: number;
  /** Frames that arrived with sequence numbers missing before them (each such arrival opens a gap). */
  readonly gaps: number;
  /**
   * Reorder depth: the furthest behind the newest sequence number a late frame arrived (a retransmitted
   * or overtaken one; 0: nothing ever arrived out of order). A frame lost for good (QoS 0) never arrives
   * and adds nothing here, only to `gaps`.
   */
  readonly reorderDepthMax: number;
  /** Round trips measured (first-copy ACKs only: a retransmitted frame's ACK is ambiguous, as Karn says). */
  readonly rttSamples: number;
  /** Median and 95th percentile of the last `RTT_SAMPLES` round trips (ms); undefined before the first. */
  readonly rttP50Ms: number | undefined;
  readonly rttP95Ms: number | undefined;
}

/** A `telemetry/link` payload: fountain.telemetry.LinkReport, generated into runtime/protocol. */
export type LinkReportValue = LinkReport;

type Counted = 'bytesSent' | 'bytesReceived' | 'acksSent' | 'acksReceived' | 'nacksSent' | 'nacksReceived' | 'retransmits' | 'gaps';
const COUNTED: readonly Counted[] = ['bytesSent', 'bytesReceived', 'acksSent', 'acksReceived', 'nacksSent', 'nacksReceived', 'retransmits', 'gaps'];

export class PeerMeter {
  bytesSent = 0;
  bytesReceived = 0;
  acksSent = 0;
  acksReceived = 0;
  nacksSent = 0;
  nacksReceived = 0;
  retransmits = 0;
  gaps = 0;
  reorderDepthMax = 0;
  rttSamples = 0;
  private readonly rtts = new Float64Array(RTT_SAMPLES);
  /** The counters at the last window report, and when that window began (performance.now). */
  private readonly reported: Record<Counted, number> = {
    bytesSent: 0,
    bytesReceived: 0,
    acksSent: 0,
    acksReceived: 0,
    nacksSent: 0,
    nacksReceived: 0,
    retransmits: 0,
    gaps: 0,
  };
  private windowStart = performance.now();

  /** A round trip of `ms` was measured. */
  rtt(ms: number): void {
    this.rtts[this.rttSamples % RTT_SAMPLES] = ms;
    this.rttSamples++;
  }

  /** A new sequence number `seq` arrived; `highest` is the highest that arrived before it. */
  arrived(seq: bigint, highest: bigint): void {
    if (seq > highest + 1n) this.gaps++;
    else if (seq < highest) {
      const depth = Number(highest - seq);
      if (depth > this.reorderDepthMax) this.reorderDepthMax = depth;
    }
  }

  /** Adds another meter's counters (a session that ended, kept in its node's totals). */
  absorb(other: PeerMeter): void {
    this.bytesSent += other.bytesSent;
    this.bytesReceived += other.bytesReceived;
    this.acksSent += other.acksSent;
    this.acksReceived += other.acksReceived;
    this.nacksSent += other.nacksSent;
    this.nacksReceived += other.nacksReceived;
    this.retransmits += other.retransmits;
    this.gaps += other.gaps;
    this.reorderDepthMax = Math.max(this.reorderDepthMax, other.reorderDepthMax);
  }

  /**
   * Closes the window: the `telemetry/link` report of what was counted in it (undefined when nothing
   * was), and a fresh window from now.
   */
  windowReport(peer: string, remote: string, sessionId: number, at: Date): LinkReportValue | undefined {
    const t = performance.now();
    const window = Math.max(1, Math.round((t - this.windowStart) * 1000));
    this.windowStart = t;
    if (COUNTED.every((k) => this[k] === this.reported[k])) return undefined;
    const delta = (k: Counted) => BigInt(this[k] - this.reported[k]);
    const { rttP50Ms, rttP95Ms } = this.snapshot();
    const report: LinkReportValue = {
      peer,
      remote,
      sessionId,
      at,
      window,
      bytesSent: delta('bytesSent'),
      bytesReceived: delta('bytesReceived'),
      acksSent: delta('acksSent'),
      acksReceived: delta('acksReceived'),
      nacksSent: delta('nacksSent'),
      nacksReceived: delta('nacksReceived'),
      retransmits: delta('retransmits'),
      gaps: delta('gaps'),
      reorderDepthMax: Math.min(this.reorderDepthMax, 0xffff_ffff),
      ...(rttP50Ms === undefined ? {} : { rttP50: Math.round(rttP50Ms * 1000) }),
      ...(rttP95Ms === undefined ? {} : { rttP95: Math.round(rttP95Ms * 1000) }),
    };
    for (const k of COUNTED) this.reported[k] = this[k];
    return report;
  }

  snapshot(): PeerTraffic {
    const n = Math.min(this.rttSamples, RTT_SAMPLES);
    const sorted = this.rtts.slice(0, n).sort();
    return {
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      acksSent: this.acksSent,
      acksReceived: this.acksReceived,
      nacksSent: this.nacksSent,
      nacksReceived: this.nacksReceived,
      retransmits: this.retransmits,
      gaps: this.gaps,
      reorderDepthMax: this.reorderDepthMax,
      rttSamples: this.rttSamples,
      rttP50Ms: n === 0 ? undefined : quantile(sorted, 0.5),
      rttP95Ms: n === 0 ? undefined : quantile(sorted, 0.95),
    };
  }
}
