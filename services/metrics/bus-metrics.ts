/**
 * A NetworkBus's `stats()` as Prometheus metrics: the link counters of each session (bytes, ACKs,
 * NACKs, retransmissions, gaps, reorder depth, round trips) labelled by `peer`, and the delivery
 * counters and latency of each topic labelled by `topic`. Read at scrape time (no timers): one
 * `stats()` per scrape, shared by every metric here. docs/metrics.md lists the metrics.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { NetworkBus, NetworkBusStats, PeerTraffic, TopicSnapshot } from '../../runtime/index.ts';
import { capped } from './labels.ts';

export interface BusMetricsOptions {
  /** Distinct `peer` label values at most (default 64); past it, peers are summed under `_other`. */
  readonly maxPeers?: number;
  /** Distinct `topic` label values at most (default 256); past it, topics are summed under `_other`. */
  readonly maxTopics?: number;
}

/** The `peer` label of the sessions that have ended (`stats().endedTraffic`), so that sums over peers never go back. */
export const ENDED_PEER = '_ended';

type PeerCounter = 'bytesSent' | 'bytesReceived' | 'acksSent' | 'acksReceived' | 'nacksSent' | 'nacksReceived' | 'retransmits' | 'gaps';
const PEER_COUNTERS: readonly (readonly [string, string, PeerCounter])[] = [
  ['midl_bus_sent_bytes_total', "UMP bytes put on the peer's link (data, control and retransmitted frames)", 'bytesSent'],
  ['midl_bus_received_bytes_total', "UMP bytes read from the peer's link", 'bytesReceived'],
  ['midl_bus_acks_sent_total', 'ACK frames sent to the peer (one ACK may cover many messages)', 'acksSent'],
  ['midl_bus_acks_received_total', 'ACK frames received from the peer', 'acksReceived'],
  ['midl_bus_nacks_sent_total', 'NACK frames sent to the peer (refusals; loss is repaired by retransmission, not NACKed)', 'nacksSent'],
  ['midl_bus_nacks_received_total', 'NACK frames received from the peer', 'nacksReceived'],
  ['midl_bus_retransmits_total', 'Frames sent again to the peer after no ACK came within the retransmission timeout', 'retransmits'],
  ['midl_bus_gaps_total', 'Frames from the peer that arrived with sequence numbers missing before them', 'gaps'],
];

type TopicCounter = 'sent' | 'received' | 'dropped' | 'retried' | 'duplicates' | 'quarantined';
const TOPIC_COUNTERS: readonly (readonly [string, string, TopicCounter])[] = [
  ['midl_bus_messages_sent_total', 'Messages of the topic sent to peers (one per peer)', 'sent'],
  ['midl_bus_messages_received_total', 'Messages of the topic received from peers and accepted', 'received'],
  ['midl_bus_messages_dropped_total', 'Messages of the topic given up (no acknowledgement, refused, session ended)', 'dropped'],
  ['midl_bus_messages_retried_total', 'Retransmissions of messages of the topic', 'retried'],
  ['midl_bus_messages_duplicate_total', 'Copies of messages of the topic received again and discarded', 'duplicates'],
  ['midl_bus_messages_quarantined_total', 'Messages of the topic refused on receipt (stale, forbidden, invalid)', 'quarantined'],
];

interface PeerFigures {
  readonly name: string;
  readonly traffic: PeerTraffic;
  readonly inFlight: number;
  readonly srttMs: number | undefined;
  readonly sessions: number;
}

/** Registers the metrics of `bus` in `registry`. */
export function busMetrics(registry: Registry, bus: NetworkBus, options: BusMetricsOptions = {}): void {
  const maxPeers = options.maxPeers ?? 64;
  const maxTopics = options.maxTopics ?? 256;
  // Every metric's collect runs in the same synchronous pass of a scrape: one stats() serves them all.
  let current: { peers: Map<string, PeerFigures>; topics: Map<string, TopicSnapshot>; stats: NetworkBusStats } | undefined;
  const scrape = () => {
    if (current) return current;
    const stats = bus.stats();
    const live = stats.peers.map((p) => ({ name: p.name, traffic: p.traffic, inFlight: p.inFlight, srttMs: p.srttMs, sessions: 1 }));
    const peers = capped(live, (p) => p.name || '?', maxPeers, mergePeers);
    peers.set(ENDED_PEER, { name: ENDED_PEER, traffic: stats.endedTraffic, inFlight: 0, srttMs: undefined, sessions: 0 });
    current = { peers, topics: capped(stats.topics, (t) => t.topic, maxTopics, mergeTopics), stats };
    queueMicrotask(() => (current = undefined));
    return current;
  };
  const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

  for (const [name, help, field] of PEER_COUNTERS) {
    new Counter({
      name,
      help,
      labelNames: ['peer'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [peer, f] of scrape().peers) this.inc({ peer }, f.traffic[field]);
      },
    });
  }
  const peerGauge = (name: string, help: string, value: (f: PeerFigures) => number | undefined, withEnded = false) =>
    new Gauge({
      name,
      help,
      labelNames: ['peer'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [peer, f] of scrape().peers) {
          const v = value(f);
          if (v !== undefined && (withEnded || peer !== ENDED_PEER)) this.set({ peer }, v);
        }
      },
    });
  peerGauge(
    'midl_bus_reorder_depth_max_frames',
    'Furthest behind the newest sequence number a late frame from the peer arrived',
    (f) => f.traffic.reorderDepthMax,
    true,
  );
  peerGauge('midl_bus_srtt_seconds', 'Smoothed round-trip time to the peer (RFC 6298)', (f) => seconds(f.srttMs));
  peerGauge('midl_bus_in_flight_messages', 'Messages sent to the peer awaiting acknowledgement', (f) => f.inFlight);
  peerGauge('midl_bus_sessions', 'Sessions open with peers of this name', (f) => f.sessions);
  new Gauge({
    name: 'midl_bus_rtt_seconds',
    help: 'Round-trip time to the peer, over its last 256 first-copy acknowledgements, at quantile 0.5 and 0.95',
    labelNames: ['peer', 'quantile'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [peer, f] of scrape().peers) {
        const p50 = seconds(f.traffic.rttP50Ms);
        const p95 = seconds(f.traffic.rttP95Ms);
        if (p50 !== undefined) this.set({ peer, quantile: '0.5' }, p50);
        if (p95 !== undefined) this.set({ peer, quantile: '0.95' }, p95);
      }
    },
  });

  for (const [name, help, field] of TOPIC_COUNTERS) {
    new Counter({
      name,
      help,
      labelNames: ['topic'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [topic, t] of scrape().topics) this.inc({ topic }, t[field]);
      },
    });
  }
  new Gauge({
    name: 'midl_bus_latency_seconds',
    help: "Latency of the topic's messages (envelope timestamp to receipt) in the current telemetry window, at quantile 0.5 and 0.99",
    labelNames: ['topic', 'quantile'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [topic, t] of scrape().topics) {
        if (t.samples === 0) continue;
        this.set({ topic, quantile: '0.5' }, t.latencyP50Us / 1e6);
        this.set({ topic, quantile: '0.99' }, t.latencyP99Us / 1e6);
      }
    },
  });
  new Counter({
    name: 'midl_bus_quarantined_frames_total',
    help: 'Frames that could not be read or arrived outside a session',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(scrape().stats.quarantined);
    },
  });
  new Counter({
    name: 'midl_bus_resumes_total',
    help: 'Sessions resumed after their link dropped',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(scrape().stats.resumes);
    },
  });
}

/** Two sessions under one label: counters summed, the worse of the depths and round trips kept. */
function mergePeers(a: PeerFigures, b: PeerFigures): PeerFigures {
  const worse = (x: number | undefined, y: number | undefined) => (x === undefined ? y : y === undefined ? x : Math.max(x, y));
  const s = a.traffic;
  const t = b.traffic;
  return {
    name: a.name,
    traffic: {
      bytesSent: s.bytesSent + t.bytesSent,
      bytesReceived: s.bytesReceived + t.bytesReceived,
      acksSent: s.acksSent + t.acksSent,
      acksReceived: s.acksReceived + t.acksReceived,
      nacksSent: s.nacksSent + t.nacksSent,
      nacksReceived: s.nacksReceived + t.nacksReceived,
      retransmits: s.retransmits + t.retransmits,
      gaps: s.gaps + t.gaps,
      reorderDepthMax: Math.max(s.reorderDepthMax, t.reorderDepthMax),
      rttSamples: s.rttSamples + t.rttSamples,
      rttP50Ms: worse(s.rttP50Ms, t.rttP50Ms),
      rttP95Ms: worse(s.rttP95Ms, t.rttP95Ms),
    },
    inFlight: a.inFlight + b.inFlight,
    srttMs: worse(a.srttMs, b.srttMs),
    sessions: a.sessions + b.sessions,
  };
}

/** Two topics under one label (past the cap): counters summed, the worse latencies kept. */
function mergeTopics(a: TopicSnapshot, b: TopicSnapshot): TopicSnapshot {
  return {
    ...a,
    sent: a.sent + b.sent,
    received: a.received + b.received,
    dropped: a.dropped + b.dropped,
    retried: a.retried + b.retried,
    duplicates: a.duplicates + b.duplicates,
    quarantined: a.quarantined + b.quarantined,
    samples: a.samples + b.samples,
    latencyP50Us: Math.max(a.latencyP50Us, b.latencyP50Us),
    latencyP99Us: Math.max(a.latencyP99Us, b.latencyP99Us),
    latencyMaxUs: Math.max(a.latencyMaxUs, b.latencyMaxUs),
    jitterP95Us: Math.max(a.jitterP95Us, b.jitterP95Us),
    overBudget: a.overBudget + b.overBudget,
  };
}
