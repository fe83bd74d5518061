/**
 * The runtime speaks idl/'s own types, generated into runtime/protocol: its telemetry reports are
 * exactly fountain.telemetry.JitterReport / DeliveryReport (they validate with the validators and
 * codecs generated into generated/, and encode to the same bytes with either codec), and the session
 * handshake's clock sources, REFUSE codes and smallest maximum payload are fountain.session's.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkBus, type DeliveryReportValue, type JitterReportValue } from '../../runtime/index.ts';
import { Telemetry } from '../../runtime/bus/telemetry.ts';
import { ControlKind } from '../../runtime/lanes/control.ts';
import * as protocolSession from '../../runtime/protocol/types/fountain.session.ts';
import * as protocolTelemetry from '../../runtime/protocol/types/fountain.telemetry.ts';
import {
  ClockSource,
  DeliveryReport,
  JitterReport,
  SessionError,
  SessionErrorMessages,
  SessionOpenSchema,
  topics,
  validateDeliveryReport,
  validateJitterReport,
} from '../../generated/index.ts';
import { registry, until } from './network-peers.ts';
import { RawPeer } from './raw-peer.ts';

/** A value of the generated type is a runtime report and the other way round (checked by tsc). */
const asGenerated = (r: JitterReportValue): JitterReport => r;
const asRuntime = (r: JitterReport): JitterReportValue => r;
const deliveryAsGenerated = (r: DeliveryReportValue): DeliveryReport => r;
const deliveryAsRuntime = (r: DeliveryReport): DeliveryReportValue => r;

/** Topics of idl/ with a latency and jitter budget, a latency budget only, and none. */
const measured = [topics['gpu/job.result/{corr}'], topics['gpu/job.dispatch'], topics['llm/tool.invoke']].map((t) => ({ ...t }));

function expectValidJitter(r: JitterReportValue): void {
  const json = JitterReport.toJSON(asGenerated(r));
  expect(validateJitterReport(json), JSON.stringify(validateJitterReport.errors)).toBe(true);
  expect(JitterReport.validate(r)).toEqual({ ok: true });
  const bytes = protocolTelemetry.JitterReport.encode(r);
  expect(JitterReport.encode(r)).toEqual(bytes);
  expect(asRuntime(JitterReport.decode(bytes))).toEqual(r);
}

function expectValidDelivery(r: DeliveryReportValue): void {
  const json = DeliveryReport.toJSON(deliveryAsGenerated(r));
  expect(validateDeliveryReport(json), JSON.stringify(validateDeliveryReport.errors)).toBe(true);
  expect(DeliveryReport.validate(r)).toEqual({ ok: true });
  const bytes = protocolTelemetry.DeliveryReport.encode(r);
  expect(DeliveryReport.encode(r)).toEqual(bytes);
  expect(deliveryAsRuntime(DeliveryReport.decode(bytes))).toEqual(r);
}

describe('telemetry reports are the generated fountain.telemetry types', () => {
  it('every report of a window validates with the generated validator and codec, for any latencies and counts', () => {
    const latency = fc.integer({ min: -60_000_000, max: 3_600_000_000 });
    const counts = fc.record({
      sent: fc.nat(1_000_000),
      received: fc.nat(1_000_000),
      dropped: fc.nat(1000),
      retried: fc.nat(1000),
      duplicates: fc.nat(1000),
      quarantined: fc.nat(1000),
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(0, 1, 2), latency), { maxLength: 200 }),
        fc.array(fc.tuple(fc.constantFrom(0, 1, 2), counts), { maxLength: 3 }),
        (samples, counters) => {
          const t = new Telemetry(new Map(measured.map((m) => [m.id, m])));
          for (const [i, us] of samples) t.latency(measured[i]!.id, us);
          for (const [i, c] of counters) Object.assign(t.counters(measured[i]!.id), c);
          const { jitter, delivery } = t.closeWindow('peer-1');
          expect(jitter.length).toBe(new Set(samples.map(([i]) => i)).size);
          for (const r of jitter) expectValidJitter(r);
          for (const r of delivery) expectValidDelivery(r);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a budget breach report validates too, with the topic budget in the generated Budget shape', () => {
    const topic = measured[0]!;
    const t = new Telemetry(new Map([[topic.id, topic]]));
    t.latency(topic.id, 50_000);
    const r = t.breachReport('peer-1', topic.id)!;
    expectValidJitter(r);
    expect(r.budget).toEqual({ latency: topic.budget.latencyUs, jitter: topic.budget.jitterUs });
  });
});

describe('the session handshake uses the generated fountain.session numbers', () => {
  const errors: unknown[] = [];
  let authority: NetworkBus | undefined;
  afterEach(async () => {
    await authority?.close();
    authority = undefined;
    expect(errors).toEqual([]);
    errors.length = 0;
  });
  const newAuthority = (grant?: () => bigint) =>
    (authority = new NetworkBus({ name: 'authority', ...registry, onError: (e) => errors.push(e), ...(grant ? { grant } : {}) }));

  it('runtime/protocol holds the same codes and members as generated/', () => {
    expect(protocolSession.SessionError).toEqual(SessionError);
    expect(protocolSession.SessionErrorMessages).toEqual(SessionErrorMessages);
    expect(protocolSession.ClockSource.values).toEqual(ClockSource.values);
  });

  it('WELCOME names wall_clock; a client offering no clock this node keeps is refused with UNSUPPORTED_CLOCK', async () => {
    const ok = RawPeer.attach(newAuthority());
    expect(await ok.hello(0n)).toMatchObject({ kind: ControlKind.Welcome, clockSource: ClockSource.values.wall_clock });
    const raw = RawPeer.attach(authority!);
    raw.control({
      kind: ControlKind.Hello,
      name: 'raw',
      capabilities: 0n,
      maxPayload: 65536,
      jitterBudgetUs: 5000,
      heartbeatMs: 1000,
      clockSources: [ClockSource.values.jr_clock, ClockSource.values.ptp],
      interests: [],
      resume: undefined,
    });
    await until(() => raw.controls.some((c) => c.kind === ControlKind.Refuse), 2_000, 'REFUSE');
    expect(raw.controls.find((c) => c.kind === ControlKind.Refuse)).toEqual({
      kind: ControlKind.Refuse,
      code: SessionError.UNSUPPORTED_CLOCK,
      name: 'UNSUPPORTED_CLOCK',
      message: 'this node keeps wall_clock or host_monotonic time only',
    });
  });

  it("a client asking for a maximum payload below SessionOpen's minimum gets that minimum", async () => {
    const raw = RawPeer.attach(newAuthority());
    raw.control({
      kind: ControlKind.Hello,
      name: 'raw',
      capabilities: 0n,
      maxPayload: 100,
      jitterBudgetUs: 5000,
      heartbeatMs: 1000,
      clockSources: [ClockSource.values.host_monotonic],
      interests: [],
      resume: undefined,
    });
    await until(() => raw.controls.some((c) => c.kind === ControlKind.Welcome), 2_000, 'WELCOME');
    expect(raw.controls.find((c) => c.kind === ControlKind.Welcome)).toMatchObject({
      maxPayload: SessionOpenSchema.properties.maxPayload.minimum,
      clockSource: ClockSource.values.host_monotonic,
    });
    expect(SessionOpenSchema.properties.maxPayload.minimum).toBe(1024);
  });

  it('a client granted nothing is refused with CAPABILITY_DENIED and its generated message', async () => {
    const raw = RawPeer.attach(newAuthority(() => 0n));
    expect(await raw.hello(1n)).toEqual({
      kind: ControlKind.Refuse,
      code: SessionError.CAPABILITY_DENIED,
      name: 'CAPABILITY_DENIED',
      message: SessionErrorMessages.CAPABILITY_DENIED,
    });
  });
});
