/**
 * Runtime bus benchmarks, each beside an anchor measured in the same run:
 * - in process: NetworkBus client → authority over `loopbackLinkPair` (framing, sessions, at-least-once
 *   acks, link hops through setImmediate) vs the in-process LoopbackBus doing the same publish →
 *   deliver — one message at a time (p50/p99 of publish → handler) and 1000 pipelined (msgs/s);
 * - over UDP on 127.0.0.1: NetworkBus over Network MIDI 2.0 (Nm2Endpoint + connectNm2, no relay) —
 *   request/reply round trips (p50/p99) and 1000 at-least-once publishes with 64 unacknowledged at
 *   most (msgs/s) — vs raw dgram round trips carrying the bytes the bus puts on the wire for the same
 *   work, each way (counted per case before timing by the authority endpoint's own stats: bytesIn is
 *   what the client sent, bytesOut what the authority answered), one at a time / pipelined 64 deep.
 * Published messages: a 32-token SSE event on sse/stream/{id} (lane flex: a Flex Data text frame of
 * JSON) and a job result on gpu/job.result/{corr} (lane sysex8: a binary SysEx8 frame), so the two
 * lanes compare in the same run; the request is gpu/job.dispatch.
 */
import type { BenchCase, BenchSuite } from '../harness.ts';
import { ALL_CAPABILITIES, LoopbackHub, loopbackLinkPair, type AnyTopicDescriptor, type LoopbackBus, type NetworkBus } from '../../runtime/index.ts';
import { Nm2Endpoint, connectNm2, type Nm2Link } from '../../runtime/transports/index.ts';
import { topics, type SseEnvelope } from '../../generated/index.ts';
import { assertNoErrors, deadline, node, startEcho, trafficOf, windowed, type Echo, type WireTraffic } from '../net.ts';

const stream = topics['sse/stream/{id}'];
const dispatch = topics['gpu/job.dispatch'];
const params = { id: 'bench' } as const;
/** Messages per call of the throughput cases, and the most left unacknowledged on UDP. */
const BURST = 1000;
const WINDOW = 64;
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

/** A value created by `setup` and disposed by `teardown`; `get` inside the measured functions. */
function resource<T>(open: () => Promise<T>, close: (t: T) => Promise<void>) {
  let value: T | undefined;
  return {
    setup: async () => {
      value = await open();
    },
    teardown: async () => {
      const v = value;
      value = undefined;
      if (v !== undefined) await close(v);
    },
    get: (): T => {
      if (value === undefined) throw new Error('bench resource used outside its case');
      return value;
    },
  };
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

// ── UDP (Network MIDI 2.0 on 127.0.0.1) ───────────────────────────────────────────────────────────

interface Udp {
  readonly endpoint: Nm2Endpoint;
  readonly link: Nm2Link;
  readonly client: NetworkBus;
  readonly authority: NetworkBus;
  readonly sink: Sink;
  readonly echo: Echo;
  /** What one operation put on the wire (calibration), the anchor's request and reply sizes. */
  readonly perOp: WireTraffic;
  readonly errors: unknown[];
}

type UdpBase = Omit<Udp, 'echo' | 'perOp'>;

/** `calibrate` returns the wire traffic of one operation; the anchor then carries those bytes each way. */
function udp(load: Load, calibrate: (e: UdpBase) => Promise<WireTraffic>) {
  return resource<Udp>(
    async () => {
      const errors: unknown[] = [];
      const endpoint = await Nm2Endpoint.listen({ host: '127.0.0.1', port: 0, name: 'bench authority' });
      const authority = node('authority', errors);
      endpoint.onSession((l) => authority.accept(l));
      authority.serve(dispatch, () => accepted);
      const sink = new Sink('NetworkBus over NM2');
      authority.subscribe(load.topic, sink.hit, { params: load.params });
      sink.start();
      const link = await connectNm2(`udp://127.0.0.1:${endpoint.port}`, { name: 'bench client', timeoutMs: 10_000 });
      const client = node('client', errors);
      await deadline(client.connect(link), 10_000, 'NM2 NetworkBus connect');
      const base = { endpoint, link, client, authority, sink, errors };
      const perOp = await calibrate(base);
      // A zero-byte datagram is still a datagram; one byte keeps the anchor's sockets on the ordinary path.
      const echo = await startEcho(Math.max(1, Math.round(perOp.bytesIn)), Math.max(1, Math.round(perOp.bytesOut)));
      return { ...base, echo, perOp };
    },
    async (e) => {
      e.sink.stop();
      await e.echo.close();
      await e.client.close();
      await e.authority.close();
      await e.link.close();
      await e.endpoint.close();
      assertNoErrors('bus UDP', e.errors);
    },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The wire traffic of one operation, averaged over `ops` runs of `op` after a warm-up, counted by the
 * authority's endpoint: bytesIn/datagramsIn is what the client sent it, bytesOut/datagramsOut what it
 * sent back. The runs follow each other as the measured calls do (so acknowledgements coalesce the same
 * way), then a pause lets the last delayed acknowledgements (5 ms) be counted too.
 */
async function trafficPerOp(e: UdpBase, ops: number, op: () => Promise<void>, itemsPerOp = 1): Promise<WireTraffic> {
  for (let i = 0; i < 20; i++) await op(); // warm: first-call compilation, the session's first srtt
  await sleep(50);
  const total = await trafficOf(e.endpoint, async () => {
    for (let i = 0; i < ops; i++) await op();
    await sleep(20);
  });
  const per = ops * itemsPerOp;
  return { datagramsIn: total.datagramsIn / per, bytesIn: total.bytesIn / per, datagramsOut: total.datagramsOut / per, bytesOut: total.bytesOut / per };
}

function publishBurst(e: UdpBase, load: Load, n: number): Promise<void> {
  const got = e.sink.expect(n);
  got.catch(() => undefined); // awaited below; a send failure must not leave it unhandled
  return windowed(n, WINDOW, () => e.client.publish(load.topic, load.value, { params: load.params })).then(() => got);
}

/** The calibrated traffic, as figures: what the bus put on the wire per operation (or message) each way, and so what the anchor carries. */
const wire = (r: { get: () => Udp }) => (): Record<string, number> => {
  const t = r.get().perOp;
  return { bytesToAuthority: t.bytesIn, bytesFromAuthority: t.bytesOut, datagramsToAuthority: t.datagramsIn, datagramsFromAuthority: t.datagramsOut };
};

function udpPublishCase(load: Load): BenchCase {
  const pub = udp(load, (e) => trafficPerOp(e, 3, () => publishBurst(e, load, BURST), BURST));
  return {
    name: `bus UDP, ${load.lane} lane: ${BURST} at-least-once publishes, ${WINDOW} in flight`,
    ...pub,
    itemsPerOp: BURST,
    itemsLabel: 'msgs',
    fn: async () => {
      await publishBurst(pub.get(), load, BURST);
    },
    baseline: {
      name: `raw dgram round trips ×${BURST}, ${WINDOW} in flight (same bytes each way)`,
      fn: async () => pub.get().echo.pipelined(BURST, WINDOW),
    },
    // figures() runs right after measuring, before teardown, so the calibrated traffic is still there.
    figures: () => ({ ...wire(pub)(), payloadBytes: load.payloadBytes }),
  };
}

function udpCases(): BenchCase[] {
  const rr = udp(loads[0]!, (e) =>
    trafficPerOp(e, 200, async () => {
      await e.client.request(dispatch, job);
    }),
  );
  return [
    {
      name: 'bus UDP: request/reply round trip (gpu/job.dispatch)',
      ...rr,
      latency: true,
      fn: async () => {
        await rr.get().client.request(dispatch, job);
      },
      baseline: { name: 'raw dgram round trip (same bytes each way)', fn: async () => rr.get().echo.roundTrip() },
      figures: wire(rr),
    },
    ...loads.map(udpPublishCase),
  ];
}

export const suite: BenchSuite = {
  name: 'bus',
  cases: () => [...loads.flatMap(inProcessCases), ...udpCases()],
};
