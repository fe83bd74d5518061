import { afterEach, describe, expect, it } from 'vitest';
import { LoopbackHub } from '../../../runtime/index.ts';
import { CapabilityMask, FlexEnvelope, topics, type FlexReply } from '../../../generated/index.ts';
import { serveFlexBridge } from '../../../services/index.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { until } from '../../helpers/until.ts';
import { SEED_CALLS, startSeedServices } from './planner-service.ts';

/**
 * Every intent of seed 001's appendix through the bridge to its own service: what each service
 * received (method, path and query, bearer token, body without the path and query parameters) and the
 * success reply carrying the service's response.
 */

const busErrors = collectBusErrors();
const closing: (() => Promise<unknown>)[] = [];
const bridgeErrors: unknown[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
  expect(bridgeErrors).toEqual([]);
});

describe('flex bridge against the services of seed 001', () => {
  it('sends one envelope of each intent to its service and answers with its response', async () => {
    const services = await startSeedServices();
    closing.push(() => services.close());
    const hub = new LoopbackHub({ onError: busErrors.for('hub') });
    const device = hub.connect({ capabilities: CapabilityMask.maskOf('flex.send'), onError: busErrors.for('device') });
    const replies = new Map<string, FlexReply[]>();
    const sub = device.subscribe(topics['flex/reply/{corr}'], (r) => void replies.set(r.corr, [...(replies.get(r.corr) ?? []), r]));
    await sub.ready;
    const bridge = serveFlexBridge(hub.connect({ capabilities: CapabilityMask.maskOf('flex.bridge'), onError: busErrors.for('bridge') }), {
      services: services.baseUrls,
      token: { bearer: () => Promise.resolve('seed-token') },
      onError: (e) => void bridgeErrors.push(e),
    });
    closing.push(() => bridge.close());
    await bridge.ready;

    const calls = Object.entries(SEED_CALLS);
    await Promise.all(
      calls.map(([intent, call], i) =>
        device.publish(topics['flex/envelope'], FlexEnvelope.fromJSON({ v: 1, ts: Date.now(), corr: `seed-${i}`, intent, body: call.body })),
      ),
    );
    await until(() => calls.every((_, i) => (replies.get(`seed-${i}`) ?? []).some((r) => r.success ?? r.error)), 2_000, 'every final reply');

    for (const [i, [intent, call]] of calls.entries()) {
      const final = replies.get(`seed-${i}`)!.at(-1)!;
      expect(final, intent).toMatchObject({ ack: true, intent, label: 'OK 200', success: { status: 200, body: call.response } });
      const received = services.received[call.service]!.find((r) => r.url === call.request.url)!;
      expect(received, intent).toMatchObject(call.request);
      expect(received.headers['authorization'], intent).toBe('Bearer seed-token');
      if ('sent' in call && call.sent === 'multipart') {
        const openapi = SEED_CALLS['tools.register'].body.openapi;
        expect(received.form, intent).toEqual({ openapi_file: { filename: 'openapi.json', type: 'application/json', text: expect.any(String) as string } });
        expect(JSON.parse((received.form!['openapi_file'] as { text: string }).text)).toEqual(openapi);
        expect(received.headers['content-type'], intent).toMatch(/^multipart\/form-data; boundary=/);
      } else {
        expect(received.headers['content-type'], intent).toBe('application/json');
        expect(received.body, intent).toEqual('sent' in call ? call.sent : call.body);
      }
    }
    expect(Object.values(services.received).flat()).toHaveLength(calls.length);
  });
});
