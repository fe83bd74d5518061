import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { LoopbackHub, type Bus, type Delivery, type Handler } from '../../../runtime/index.ts';
import { CapabilityMask, FlexEnvelope, FlexError, topics, type FlexReply } from '../../../generated/index.ts';
import { serveFlexBridge } from '../../../services/index.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { until } from '../../helpers/until.ts';
import { SEED_ENVELOPE } from '../../helpers/seed-001.ts';
import { startService } from './planner-service.ts';

/**
 * Envelopes a hostile peer could put on the wire, which the loopback bus would refuse to publish: they
 * are handed to the bridge's own handler (a bus whose subscribe hands it out), so that the bridge's
 * checks, not the bus's, are what is tested. Every envelope gets exactly one refusal, or, without a corr
 * a reply can carry, one reported error; none reaches the service.
 */
const busErrors = collectBusErrors();
const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

async function start() {
  const service = await startService(() => ({ status: 200, json: {} }));
  closing.push(() => service.close());
  const hub = new LoopbackHub({ onError: busErrors.for('hub') });
  const bus = hub.connect({ capabilities: CapabilityMask.maskOf('flex.bridge'), onError: busErrors.for('bridge') });
  let handler: Handler<FlexEnvelope> | undefined;
  const spy = new Proxy(bus, {
    get(target, prop, receiver) {
      if (prop === 'subscribe')
        return (topic: (typeof topics)['flex/envelope'], h: Handler<FlexEnvelope>) => {
          handler = h;
          return target.subscribe(topic, h);
        };
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as Bus;
  const errors: unknown[] = [];
  const bridge = serveFlexBridge(spy, { services: { planner: service.baseUrl }, now: () => SEED_ENVELOPE.ts, onError: (e) => void errors.push(e) });
  closing.push(() => bridge.close());
  await bridge.ready;
  const device = hub.connect({ capabilities: CapabilityMask.maskOf('flex.send'), onError: busErrors.for('device') });
  const replies: FlexReply[] = [];
  await device.subscribe(topics['flex/reply/{corr}'], (r) => void replies.push(r)).ready;
  const delivery = { sessionId: 7 } as Delivery<FlexEnvelope>;
  const deliver = (value: unknown) => handler!(value as FlexEnvelope, delivery);
  return { service, errors, replies, deliver };
}

const seed = () => FlexEnvelope.fromJSON(SEED_ENVELOPE);

describe('flex bridge: hostile envelopes', () => {
  it('a wrong version, an out-of-range ts, a bad intent name: refused with the member saying which', async () => {
    const { replies, deliver, service, errors } = await start();
    await deliver({ ...seed(), corr: 'v', v: 2 });
    await deliver({ ...seed(), corr: 'i', intent: 'Planner/../x' });
    await deliver({ ...seed(), corr: 'b', body: undefined });
    await until(() => replies.length === 3, 2_000, 'three refusals');
    expect(replies.map((r) => [r.corr, r.ack, r.error?.code])).toEqual([
      ['v', false, FlexError.UNSUPPORTED_VERSION],
      ['i', false, FlexError.INVALID_ENVELOPE],
      ['b', false, FlexError.INVALID_ENVELOPE],
    ]);
    expect(replies[0]!.error!.message).toMatch(/^bad envelope: \/v: /);
    expect(service.received).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('a corr that cannot name a reply address is reported, not answered', async () => {
    const { replies, deliver, errors } = await start();
    await deliver({ ...seed(), corr: '../x' });
    await deliver({ ...seed(), corr: 'x'.repeat(65) });
    await deliver({ ...seed(), corr: 42 });
    expect(errors.map((e) => (e as Error).message)).toEqual([
      'flex/envelope from session 7: corr "../x" cannot name a reply address; envelope dropped',
      `flex/envelope from session 7: corr "${'x'.repeat(65)}" cannot name a reply address; envelope dropped`,
      'flex/envelope from session 7: corr 42 cannot name a reply address; envelope dropped',
    ]);
    expect(replies).toEqual([]);
  });

  it('any mangled envelope gets one refusal or one reported error, and never reaches the service', async () => {
    const { replies, deliver, service, errors } = await start();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          v: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 255 })),
          ts: fc.oneof(fc.constant(BigInt(SEED_ENVELOPE.ts)), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
          corr: fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/), fc.string({ maxLength: 80 })),
          intent: fc.oneof(fc.constantFrom('planner.execute', 'planner.reason', 'x.y'), fc.string({ maxLength: 20 })),
          body: fc.jsonValue({ maxDepth: 3 }),
        }),
        async (envelope) => {
          const corr = `${sent++}-${envelope.corr}`.slice(0, 64);
          const [repliesBefore, errorsBefore] = [replies.length, errors.length];
          await deliver({ ...envelope, corr });
          if (/^[A-Za-z0-9._:-]{1,64}$/.test(corr)) {
            await until(() => replies.length === repliesBefore + 1, 2_000, `the refusal of ${JSON.stringify(corr)}`);
            expect([replies.at(-1)!.corr, replies.at(-1)!.ack]).toEqual([corr, false]);
            expect(errors.length).toBe(errorsBefore);
          } else {
            expect(errors.length).toBe(errorsBefore + 1);
            expect(replies.length).toBe(repliesBefore);
          }
        },
      ),
      { numRuns: 150 },
    );
    expect(service.received).toEqual([]);
    for (const e of errors) expect((e as Error).message).toMatch(/cannot name a reply address; envelope dropped$/);
  });
});
