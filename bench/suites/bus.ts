/**
 * Runtime bus benchmarks, each beside an anchor measured in the same run:
 * - in process: NetworkBus client → authority over `loopbackLinkPair` (framing, sessions, at-least-once
 *   acks, link hops through setImmediate) vs the in-process LoopbackBus doing the same publish →
 *   deliver — one message at a time (p50/p99 of publish → handler) and 1000 pipelined (msgs/s);
 * - over the network on 127.0.0.1, the same cases on two wires (bench/wires.ts) in one run: Network
 *   MIDI 2.0 (UDP) and RTP-MIDI (AppleMIDI; the bus as SysEx7 + Mcoded7), no relay — request/reply
 *   round trips (p50/p99) and 1000 at-least-once publishes with 64 unacknowledged at most (msgs/s) —
 *   vs raw dgram round trips carrying the bytes the bus puts on that wire for the same work, each way
 *   (counted before timing on a calibration session through a loss-free relay: bytesIn is what the
 *   client sent, bytesOut what the authority answered), one at a time / pipelined 64 deep. Each
 *   RTP-MIDI case also prints the NM2 case's figure of the same run beside its own.
 * Published messages: a 32-token SSE event on sse/stream/{id} (lane flex: a Flex Data text frame of
 * JSON) and a job result on gpu/job.result/{corr} (lane sysex8: a binary SysEx8 frame), so the two
 * lanes compare in the same run; the request is gpu/job.dispatch.
 */
import type { BenchCase, BenchResult, BenchSuite } from '../harness.ts';
import {
  ALL_CAPABILITIES,
  LoopbackHub,
  loopbackLinkPair,
  type AnyTopicDescriptor,
  type LoopbackBus,
  type NetworkBus,
  type UmpLink,
} from '../../runtime/index.ts';
import { topics, type SseEnvelope } from '../../generated/index.ts';
import { assertNoErrors, deadline, node, resource, startEcho, windowed, type Echo, type WireTraffic } from '../net.ts';
import { LOSS_FREE, nm2Wire, relayedTraffic, rtpMidiWire, type Relay, type Wire, type WireListener } from '../wires.ts';

const stream = topics['sse/stream/{id}'];
const dispatch = topics['gpu/job.dispatch'];
const params = { id: 'bench' } as const;
/** Messages per call of the throughput cases, and the most left unacknowledged on UDP. */
const BURST = 1000;
const WINDOW = 64;
/** Measured calls of each network publish case (each side), whatever the time budget; more if the budget allows. */
const PUBLISH_RUNS = 16;
/** A stalled case fails after this long without progress instead of hanging the run. */
const STALL_MS = 15_000;

const event: SseEnvelope = {
  v: 1,
  ev: 'message',
  seq: 42n,
  data: ' the quick brown fox jumps over the lazy dog while a synth holds one long note and the'.repeat(2).slice(0, 180),
};
const eventBytes = stream.payload.encode(event).length;
const result = topics['gpu/job.result/{corr}'];

/** What a throughput case publishes: one topic (and so one lane), one value. */
interface Load {
  readonly lane: string;
  readonly topic: AnyTopicDescriptor;
  readonly value: unknown;
  readonly params: Readonly<Record<string, string | number>>;
  readonly payloadBytes: number;
}
const resultValue = { ...result.payload.example(), jobId: 'bench-job-0001', outputs: [] };
const loads: readonly Load[] = [
  { lane: 'flex', topic: stream, value: event, params, payloadBytes: eventBytes },
  { lane: 'sysex8', topic: result, value: resultValue, params: { corr: 1 }, payloadBytes: result.payload.encode(resultValue).length },
];
const job = dispatch.payload.example();
const accepted = dispatch.reply!.example();

/**
 * Counts deliveries; `expect(n)` resolves at the n-th. A watchdog (one interval per case, not a timer
 * per message, so it costs nothing per call) rejects a wait that saw no delivery for STALL_MS.
 */
class Sink {
  private left = 0;
  private lastProgress = 0;
  private waiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly what: string) {}

  hit = (): void => {
    this.lastProgress = performance.now();
    if (--this.left === 0) {
      const w = this.waiter;
      this.waiter = undefined;
      w?.resolve();
    }
  };

  expect(n: number): Promise<void> {
    this.left = n;
    this.lastProgress = performance.now();
    return new Promise<void>((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  start(): void {
    this.watchdog = setInterval(() => {
      if (this.waiter && performance.now() - this.lastProgress > STALL_MS) {
        const w = this.waiter;
        this.waiter = undefined;
        w.reject(new Error(`${this.what}: no delivery for ${STALL_MS / 1000} s (${this.left} still expected)`));
      }
    }, 1_000);
    this.watchdog.unref();
  }

  stop(): void {
    clearInterval(this.watchdog);
  }
}

// ── in process ────────────────────────────────────────────────────────────────────────────────────

interface InProcess {
  readonly client: NetworkBus;
  readonly authority: NetworkBus;
  readonly sink: Sink;
  readonly hub: LoopbackHub;
  readonly publisher: LoopbackBus;
  readonly subscriber: LoopbackBus;
  readonly anchorSink: Sink;
  readonly errors: unknown[];
}

function inProcess(load: Load) {
  return resource<InProcess>(
    async () => {
      const errors: unknown[] = [];
      const authority = node('authority', errors);
      const client = node('client', errors);
      const [a, b] = loopbackLinkPair({ names: ['client', 'authority'] });
      authority.accept(b);
      await deadline(client.connect(a), 10_000, 'in-process NetworkBus connect');
      const sink = new Sink('NetworkBus over loopback link');
      await deadline(authority.subscribe(load.topic, sink.hit, { params: load.params }).ready, 10_000, 'in-process subscribe');
      sink.start();
      const hub = new LoopbackHub({ onError: (e) => void errors.push(e) });
      const publisher = hub.connect({ capabilities: ALL_CAPABILITIES });
      const subscriber = hub.connect({ capabilities: ALL_CAPABILITIES });
      const anchorSink = new Sink('LoopbackBus');
      subscriber.subscribe(load.topic, anchorSink.hit, { params: load.params });
      anchorSink.start();
      return { client, authority, sink, hub, publisher, subscriber, anchorSink, errors };
    },
    async (e) => {
      e.sink.stop();
      e.anchorSink.stop();
      await e.client.close();
      await e.authority.close();
      await e.publisher.close();
      await e.subscriber.close();
      assertNoErrors('bus in-process', e.errors);
    },
  );
}

function inProcessCases(load: Load): BenchCase[] {
  const one = inProcess(load);
  const many = inProcess(load);
  const { topic, value } = load;
  const opts = { params: load.params };
  // The publish promise settles on the ACK (at-least-once); what is timed here is delivery, but a
  // refused or undelivered message must still fail the run.
  const failures: unknown[] = [];
  const noteFailure = (e: unknown): void => void failures.push(e);
  const check = (): void => assertNoErrors('bus in-process publish', failures);
  return [
    {
      name: `bus in-process, ${load.lane} lane: NetworkBus publish→deliver (1 msg)`,
      ...one,
      latency: true,
      fn: async () => {
        const e = one.get();
        const got = e.sink.expect(1);
        e.client.publish(topic, value, opts).catch(noteFailure);
        await got;
        check();
      },
      baseline: {
        name: 'LoopbackBus publish→deliver (1 msg)',
        fn: async () => {
          const e = one.get();
          const got = e.anchorSink.expect(1);
          await e.publisher.publish(topic, value, opts);
          await got;
        },
      },
      figures: () => ({ payloadBytes: load.payloadBytes }),
    },
    {
      name: `bus in-process, ${load.lane} lane: NetworkBus publish→deliver (${BURST} pipelined)`,
      ...many,
      itemsPerOp: BURST,
      itemsLabel: 'msgs',
      fn: async () => {
        const e = many.get();
        const got = e.sink.expect(BURST);
        const acks: Promise<void>[] = [];
        for (let i = 0; i < BURST; i++) acks.push(e.client.publish(topic, value, opts));
        await got;
        // Acknowledged too, so no call leaves unacknowledged work to the next one.
        await Promise.all(acks);
      },
      baseline: {
        name: `LoopbackBus publish→deliver (${BURST} pipelined)`,
        fn: async () => {
          const e = many.get();
          const got = e.anchorSink.expect(BURST);
          const sent: Promise<void>[] = [];
          for (let i = 0; i < BURST; i++) sent.push(e.publisher.publish(topic, value, opts));
          await Promise.all(sent);
          await got;
        },
      },
      figures: () => ({ payloadBytes: load.payloadBytes }),
    },
  ];
}

// ── over the network on 127.0.0.1: Network MIDI 2.0 and RTP-MIDI ─────────────────────────────────────

interface Net {
  readonly listener: WireListener;
  readonly link: UmpLink;
  readonly client: NetworkBus;
  readonly authority: NetworkBus;
  readonly sink: Sink;
  readonly echo: Echo;
  /** What one operation put on the wire (calibration), the anchor's request and reply sizes. */
  readonly perOp: WireTraffic;
  readonly errors: unknown[];
}

/** A second client of the same authority, through a loss-free relay that counts every datagram both ways. */
interface Calibration {
  readonly client: NetworkBus;
  readonly sink: Sink;
  readonly relay: Relay;
}

/**
 * The authority listening on `wire`, a client connected straight to it (the measured calls), and the
 * wire traffic of one operation, which `calibrate` counts on a calibration session; the anchor then
 * carries those bytes each way.
 */
function network(wire: Wire, load: Load, calibrate: (c: Calibration) => Promise<WireTraffic>) {
  return resource<Net>(
    async () => {
      const errors: unknown[] = [];
      const authority = node('authority', errors);
      authority.serve(dispatch, () => accepted);
      const sink = new Sink(`NetworkBus over ${wire.label}`);
      authority.subscribe(load.topic, sink.hit, { params: load.params });
      sink.start();
      // What is open so far, closed in reverse if setting up fails (teardown only runs after a setup that succeeded).
      const opened: (() => void | Promise<void>)[] = [() => sink.stop(), () => authority.close()];
      try {
        const listener = await wire.listen('bench authority', (l) => authority.accept(l), errors);
        opened.push(() => listener.close());
        const link = await listener.connect('bench client');
        opened.push(() => link.close());
        const client = node('client', errors);
        opened.push(() => client.close());
        await deadline(client.connect(link), 10_000, `${wire.label} NetworkBus connect`);
        const counted = await listener.connectThrough('bench calibration client', LOSS_FREE);
        const calibrationClient = node('calibration client', errors);
        let perOp: WireTraffic;
        try {
          await deadline(calibrationClient.connect(counted.link), 10_000, `${wire.label} calibration NetworkBus connect`);
          perOp = await calibrate({ client: calibrationClient, sink, relay: counted.relay });
        } finally {
          await calibrationClient.close();
          await counted.close();
        }
        // A zero-byte datagram is still a datagram; one byte keeps the anchor's sockets on the ordinary path.
        const echo = await startEcho(Math.max(1, Math.round(perOp.bytesIn)), Math.max(1, Math.round(perOp.bytesOut)));
        return { listener, link, client, authority, sink, echo, perOp, errors };
      } catch (err) {
        for (const close of opened.reverse()) await close();
        throw err;
      }
    },
    async (e) => {
      e.sink.stop();
      await e.echo.close();
      await e.client.close();
      await e.authority.close();
      await e.link.close();
      await e.listener.close();
      assertNoErrors(`bus ${wire.label}`, e.errors);
    },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The wire traffic of one operation, averaged over `ops` runs of `op` after `warm` runs, counted by the
 * calibration relay: bytesIn/datagramsIn is what the client sent the authority, bytesOut/datagramsOut
 * what came back. The runs follow each other as the measured calls do (so acknowledgements coalesce the
 * same way), then a pause lets the last delayed acknowledgements (5 ms) be counted too.
 */
async function trafficPerOp(c: Calibration, warm: number, ops: number, op: () => Promise<void>, itemsPerOp = 1): Promise<WireTraffic> {
  for (let i = 0; i < warm; i++) await op(); // first-call compilation, the session's first srtt
  await sleep(50);
  const total = await relayedTraffic(c.relay, async () => {
    for (let i = 0; i < ops; i++) await op();
    await sleep(20);
  });
  const per = ops * itemsPerOp;
  return { datagramsIn: total.datagramsIn / per, bytesIn: total.bytesIn / per, datagramsOut: total.datagramsOut / per, bytesOut: total.bytesOut / per };
}

function publishBurst(e: { client: NetworkBus; sink: Sink }, load: Load, n: number): Promise<void> {
  const got = e.sink.expect(n);
  got.catch(() => undefined); // awaited below; a send failure must not leave it unhandled
  return windowed(n, WINDOW, () => e.client.publish(load.topic, load.value, { params: load.params })).then(() => got);
}

/** The calibrated traffic, as figures: what the bus put on the wire per operation (or message) each way, and so what the anchor carries. */
const wireFigures = (r: { get: () => Net }): Record<string, number> => {
  const t = r.get().perOp;
  return { bytesToAuthority: t.bytesIn, bytesFromAuthority: t.bytesOut, datagramsToAuthority: t.datagramsIn, datagramsFromAuthority: t.datagramsOut };
};

/** How a wire's cases are named, and the wire of the same run whose figure each of its cases prints beside its own. */
interface WireCases {
  readonly wire: Wire;
  /** Case names: `bus ${name}: …`. */
  readonly name: string;
  /** What a published topic's lane becomes on this wire, for case names. */
  readonly lane: (load: Load) => string;
  readonly compareWith?: { readonly wire: Wire; readonly key: string };
}

/** This run's results by wire and operation, so a later wire's case can print an earlier wire's figure beside its own. */
const resultsOfRun = new Map<string, BenchResult>();

function compared(w: WireCases, op: string, r: BenchResult): Record<string, number> {
  resultsOfRun.set(`${w.wire.label} ${op}`, r);
  if (!w.compareWith) return {};
  const { wire, key } = w.compareWith;
  const ref = resultsOfRun.get(`${wire.label} ${op}`);
  if (!ref) throw new Error(`bus ${w.name}, ${op}: the ${wire.label} case of the same run is missing (it runs first in this suite)`);
  const perSec =
    ref.itemsPerSec === undefined ? { [`${key}OpsPerSec`]: ref.hz } : { [`${key}${capitalised(ref.itemsLabel ?? 'items')}PerSec`]: ref.itemsPerSec };
  const x = `x${capitalised(key)}`;
  return { ...perSec, [`${key}Ratio`]: ref.ratio, [x]: r.hz / ref.hz };
}

const capitalised = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function publishCase(w: WireCases, load: Load): BenchCase {
  const pub = network(w.wire, load, (c) => trafficPerOp(c, 2, 3, () => publishBurst(c, load, BURST), BURST));
  return {
    name: `bus ${w.name}, ${w.lane(load)}: ${BURST} at-least-once publishes, ${WINDOW} in flight`,
    ...pub,
    itemsPerOp: BURST,
    itemsLabel: 'msgs',
    // A call takes a few hundred ms: tinybench's default 64 runs would make this case alone half a minute.
    minIterations: PUBLISH_RUNS,
    fn: async () => {
      await publishBurst(pub.get(), load, BURST);
    },
    baseline: {
      name: `raw dgram round trips ×${BURST}, ${WINDOW} in flight (same bytes each way)`,
      fn: async () => pub.get().echo.pipelined(BURST, WINDOW),
    },
    // figures() runs right after measuring, before teardown, so the calibrated traffic is still there.
    figures: (r) => ({ ...wireFigures(pub), payloadBytes: load.payloadBytes, ...pub.get().listener.counters(), ...compared(w, `publish ${load.lane}`, r) }),
  };
}

function networkCases(w: WireCases): BenchCase[] {
  const rr = network(w.wire, loads[0]!, (c) =>
    trafficPerOp(c, 20, 200, async () => {
      await c.client.request(dispatch, job);
    }),
  );
  return [
    {
      name: `bus ${w.name}: request/reply round trip (gpu/job.dispatch)`,
      ...rr,
      latency: true,
      fn: async () => {
        await rr.get().client.request(dispatch, job);
      },
      baseline: { name: 'raw dgram round trip (same bytes each way)', fn: async () => rr.get().echo.roundTrip() },
      figures: (r) => ({ ...wireFigures(rr), ...rr.get().listener.counters(), ...compared(w, 'request/reply', r) }),
    },
    ...loads.map((load) => publishCase(w, load)),
  ];
}

const nm2: WireCases = { wire: nm2Wire, name: 'NM2/UDP', lane: (load) => `${load.lane} lane` };
// On a MIDI 1.0 link every frame rides SysEx7, whatever the topic's lane elsewhere.
const rtpMidi: WireCases = {
  wire: rtpMidiWire,
  name: 'RTP-MIDI',
  lane: (load) => `${load.lane}-lane topic as SysEx7`,
  compareWith: { wire: nm2Wire, key: 'nm2' },
};

export const suite: BenchSuite = {
  name: 'bus',
  cases: () => [...loads.flatMap(inProcessCases), ...networkCases(nm2), ...networkCases(rtpMidi)],
};
