import { describe, expect, it } from 'vitest';
import { FlexEnvelope } from '../../generated/index.ts';
import { validateFlexEnvelope } from '../../generated/validators/fountain.flex.js';
import { JsonDecodeError } from '../../runtime/index.ts';
import { SEED_ENVELOPE } from '../helpers/seed-001.ts';

/**
 * The generated schema of a 64-bit field says what the JSON reader takes: the seed's envelope as a
 * device writes it (`"ts": 1723622400000`, a number) passes the committed ajv validator, as it passes
 * FlexEnvelope.fromJSON; a number the reader refuses (2^53, a fraction) fails both.
 */
const decodes = (json: unknown): boolean => {
  try {
    FlexEnvelope.fromJSON(json);
    return true;
  } catch (err) {
    // A refusal says where: /ts. Anything else is a failure of this test.
    if (err instanceof JsonDecodeError && err.message.includes('/ts')) return false;
    throw err;
  }
};

describe('FlexEnvelope JSON Schema: ts as a string or a safe-integer number', () => {
  it.each([
    ['the seed envelope (ts a number)', SEED_ENVELOPE.ts, true],
    ['ts a decimal string', String(SEED_ENVELOPE.ts), true],
    ['ts the largest safe integer', Number.MAX_SAFE_INTEGER, true],
    ['ts 2^53 as a number', 2 ** 53, false],
    ['ts 2^53 as a string', String(2n ** 53n), true],
    ['ts a non-integer', 1723622400000.5, false],
    ['ts negative', -1, false],
  ] as const)('%s', (_label, ts, valid) => {
    const envelope = { ...SEED_ENVELOPE, ts };
    expect(validateFlexEnvelope(envelope), JSON.stringify(validateFlexEnvelope.errors)).toBe(valid);
    if (!valid) expect(validateFlexEnvelope.errors?.length).toBeGreaterThan(0);
    expect(decodes(envelope)).toBe(valid);
  });
});
