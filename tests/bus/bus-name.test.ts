import { afterEach, describe, expect, it } from 'vitest';
import { BusError, NetworkBus } from '../../runtime/index.ts';
import { topics } from '../../generated/registry.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { connectedPair, registry, until, type Pair } from './network-peers.ts';

/**
 * A node's name is the `peer` of its telemetry reports (idl/telemetry: 1..128 characters) and travels in
 * HELLO/WELCOME (at most 256 bytes of UTF-8). A name outside that made every report fail validation,
 * each window, for the life of the node; it is refused when the node is made, saying the constraint.
 */
const busErrors = collectBusErrors();
let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

const result = topics['gpu/job.result/{corr}'];
const telemetry = { jitter: topics['telemetry/jitter'], delivery: topics['telemetry/delivery'], intervalMs: 50 };

function refusal(name: string): BusError {
  try {
    new NetworkBus({ name, ...registry, telemetry, onError: busErrors.for('refused') });
  } catch (err) {
    if (err instanceof BusError) return err;
    throw err;
  }
  throw new Error(`a bus named ${JSON.stringify(name.slice(0, 20))}… was made`);
}

describe("a NetworkBus's name", () => {
  it('empty, longer than 128 characters or 256 bytes of UTF-8: refused when the bus is made, with the constraint', () => {
    const cases: [string, RegExp][] = [
      ['', /name must have 1 to 128 characters \(the peer of its telemetry\); it has 0/],
      ['x'.repeat(129), /name must have 1 to 128 characters .*; it has 129/],
      ['x'.repeat(10_000), /it has 10000/],
      ['😀'.repeat(65), /name must be at most 256 bytes of UTF-8 \(HELLO\/WELCOME\); it has 260/],
    ];
    for (const [name, message] of cases) {
      const err = refusal(name);
      expect(err.code).toBe('invalid-option');
      expect(err.message).toMatch(message);
    }
  });

  it('1 and 128 characters (64 four-byte ones: 256 bytes) are fine, and their telemetry validates', async () => {
    for (const name of ['a', 'x'.repeat(128), '😀'.repeat(64)]) {
      pair = await connectedPair({ errors: busErrors, authority: { name, telemetry } });
      const reports: unknown[] = [];
      await pair.client.subscribe(topics['telemetry/delivery'], (v) => void reports.push(v)).ready;
      await pair.authority.subscribe(result, () => {}).ready;
      await pair.client.publish(result, result.payload.example(), { params: { corr: 1 } });
      await until(() => reports.length > 0, 3_000, 'a delivery report');
      expect(reports[0]).toMatchObject({ peer: name });
      await pair.close();
      pair = undefined;
    }
  });
});
