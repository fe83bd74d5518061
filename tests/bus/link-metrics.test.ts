import { afterEach, describe, expect, it } from 'vitest';
import { topics } from '../../generated/registry.ts';
import { PeerMeter } from '../../runtime/bus/peer-meter.ts';
import { RTT_SAMPLES, type LinkReportValue, type NetworkBus, type PeerTraffic } from '../../runtime/index.ts';
import { rejection } from '../helpers/bus.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { connectedPair, until, type Pair } from './network-peers.ts';

/**
 * The link counters `stats()` gives per session (runtime/bus/peer-meter.ts): UMP bytes, ACK and NACK
 * frames, retransmissions, gaps, reorder depth and round trips, moved by real traffic over in-process links.
 */

const result = topics['gpu/job.result/{corr}'];
const value = () => result.payload.example();

const busErrors = collectBusErrors();
let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

const traffic = (bus: NetworkBus): PeerTraffic => {
  const peer = bus.stats().peers[0];
  if (!peer) throw new Error(`${bus.name} has no session`);
  return peer.traffic;
};

describe('PeerMeter', () => {
  it('counts a gap per arrival past a missing seq and the reorder depth of the late ones', () => {
    const m = new PeerMeter();
    let highest = 0n;
    for (const seq of [1n, 2n, 5n, 6n, 3n, 9n, 4n, 7n, 8n]) {
      m.arrived(seq, highest);
      if (seq > highest) highest = seq;
    }
    // 5 skipped 3–4, 9 skipped 7–8; 3 came 3 behind 6, 4 came 5 behind 9.
    expect(m.snapshot()).toMatchObject({ gaps: 2, reorderDepthMax: 5 });
  });

  it('keeps the last RTT_SAMPLES round trips for its percentiles', () => {
    const m = new PeerMeter();
    expect(m.snapshot()).toMatchObject({ rttSamples: 0, rttP50Ms: undefined, rttP95Ms: undefined });
    for (let i = 0; i < RTT_SAMPLES; i++) m.rtt(1000);
    for (let i = 1; i <= RTT_SAMPLES; i++) m.rtt(i);
    expect(m.snapshot()).toMatchObject({ rttSamples: 2 * RTT_SAMPLES, rttP50Ms: RTT_SAMPLES / 2, rttP95Ms: Math.ceil(0.95 * RTT_SAMPLES) });
  });
});

describe('link counters of a session', () => {
  it('without loss: bytes match both ways, every message acknowledged, round trips measured, nothing refused', async () => {
    pair = await connectedPair({ errors: busErrors });
    await pair.authority.subscribe(result, () => {}).ready;
    await Promise.all(Array.from({ length: 10 }, (_, i) => pair!.client.publish(result, value(), { params: { corr: i + 1 }, qos: 'at_least_once' })));
    await until(() => traffic(pair!.authority).bytesReceived === traffic(pair!.client).bytesSent, 2_000, 'the bytes to arrive');
    const client = traffic(pair.client);
    const authority = traffic(pair.authority);
    expect(client.bytesSent % 4).toBe(0);
    expect(client.bytesReceived).toBe(authority.bytesSent);
    expect(client.acksReceived).toBeGreaterThan(0);
    expect(client.acksReceived).toBe(authority.acksSent);
    // Karn: only first copies are timed (a loaded machine may outwait the first timeout on a lossless link).
    expect(client.rttSamples).toBeGreaterThan(0);
    expect(client.rttSamples).toBeLessThanOrEqual(10);
    expect(client.rttP50Ms).toBeLessThanOrEqual(client.rttP95Ms!);
    expect(client.nacksReceived).toBe(0);
    expect(authority).toMatchObject({ gaps: 0, reorderDepthMax: 0, nacksSent: 0 });
  });

  it('through 20 % loss: retransmissions on the sender, gaps and reordering on the receiver', async () => {
    pair = await connectedPair({ errors: busErrors, loss: 0.2, seed: 2, client: { retransmit: { initialMs: 5, maxMs: 20 } } });
    const got = new Set<string>();
    await pair.authority.subscribe(result, (_v, d) => void got.add(d.address)).ready;
    await Promise.all(Array.from({ length: 20 }, (_, i) => pair!.client.publish(result, value(), { params: { corr: i + 1 }, qos: 'at_least_once' })));
    expect(got.size).toBe(20);
    const client = traffic(pair.client);
    const authority = traffic(pair.authority);
    expect(client.retransmits).toBeGreaterThan(0);
    expect(client.retransmits).toBe(pair.client.stats().topics.find((t) => t.topic === result.address)?.retried);
    expect(authority.gaps).toBeGreaterThan(0);
    expect(authority.reorderDepthMax).toBeGreaterThan(0);
    // Some ACKs were lost on the way.
    expect(client.acksReceived).toBeLessThanOrEqual(authority.acksSent);
  });

  it('a refusal is a NACK each way; an ended session stays in endedTraffic', async () => {
    pair = await connectedPair({ errors: busErrors, authority: { resumeWindowMs: 10 } });
    await pair.authority.subscribe(
      result,
      () => {
        throw new Error('no room');
      },
      { ackAfterHandler: true },
    ).ready;
    expect((await rejection(pair.client.publish(result, value(), { params: { corr: 1 }, qos: 'at_least_once' }))).code).toBe('undelivered');
    busErrors.claim({ bus: 'authority', message: 'no room' }, 1);
    expect(traffic(pair.authority).nacksSent).toBe(1);
    expect(traffic(pair.client).nacksReceived).toBe(1);
    const sent = traffic(pair.authority).bytesSent;
    await pair.link().close();
    await until(() => pair!.authority.stats().peers.length === 0, 2_000, 'the session to end');
    expect(pair.authority.stats().endedTraffic).toMatchObject({ nacksSent: 1, rttSamples: 0 });
    expect(pair.authority.stats().endedTraffic.bytesSent).toBeGreaterThanOrEqual(sent);
  });
});

describe('telemetry/link', () => {
  it("each window, a session's link counters of that window are published, valid against idl/telemetry's LinkReport", async () => {
    pair = await connectedPair({ errors: busErrors, authority: { telemetry: { link: topics['telemetry/link'], intervalMs: 40 } } });
    const reports: LinkReportValue[] = [];
    await pair.client.subscribe(topics['telemetry/link'], (v) => void reports.push(v)).ready;
    await pair.authority.subscribe(result, () => {}).ready;
    await Promise.all([1, 2, 3].map((corr) => pair!.client.publish(result, value(), { params: { corr }, qos: 'at_least_once' })));
    const arrived = BigInt(traffic(pair.authority).bytesReceived);
    const sum = (field: 'bytesReceived' | 'acksSent') => reports.reduce((n, r) => n + r[field], 0n);
    // The windows' deltas add up to what the session counted (later windows add the reports' own traffic).
    await until(() => sum('bytesReceived') >= arrived && sum('acksSent') > 0n, 2_000, 'link reports covering the messages and their ACKs');
    for (const r of reports) {
      expect(topics['telemetry/link'].payload.validate(r)).toEqual({ ok: true });
      expect(r).toMatchObject({ peer: 'authority', remote: 'client', sessionId: pair.authority.stats().peers[0]!.sessionId, retransmits: 0n });
      // The authority sent nothing that is acknowledged (reports are at most once): no round trip is timed.
      expect(r.rttP50).toBeUndefined();
    }
  });
});
