import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { compileText } from '../helpers/compile.ts';
import { typecheckGenerated } from '../helpers/typecheck-generated.ts';

/**
 * Issue 11: the documented `new NetworkBus({ ...registry })` with `intents: Object.values(intents)`
 * failed to type-check for a schema without intents (`Object.freeze({})` gave `unknown[]`). The
 * registry of such a schema types its empty `intents` so that the pattern compiles under tsc --strict.
 */
const SCHEMA = `package solo.app;
version "1.0.0";

/// A ping.
struct Ping {
  /// Its number.
  n: u32 @1;
}

/// Pings.
topic solo/ping {
  payload: Ping;
  qos: at_least_once;
}
`;

const USE = `
import { NetworkBus } from '../../../runtime/index.ts';
import { intents, topics, type IntentName } from './index.ts';

const registry = { topics: Object.values(topics), intents: Object.values(intents) };
const bus = new NetworkBus({ name: 'solo', ...registry });
const none: IntentName[] = [];
void [bus, none];
`;

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('the registry of a schema without intents', () => {
  it('serves `new NetworkBus({ topics: Object.values(topics), intents: Object.values(intents) })` under tsc --strict', async () => {
    const { ir, diagnostics } = compileText(SCHEMA);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(ir.intents).toEqual([]);
    const r = await typecheckGenerated(ir, USE, 'no-intents-');
    made.push(r.dir);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 180_000);
});
