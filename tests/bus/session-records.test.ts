import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SessionRecordError, hashResumeToken, parseSessionRecord, resumeTokenMatches, type SessionRecord } from '../../runtime/index.ts';
import { MemoryStore, StoreError, type StoreBackend } from '../../runtime/store/index.ts';
import { storeSessionRecords } from '../../services/index.ts';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz.ts';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String);
const recordArb: fc.Arbitrary<SessionRecord> = fc.record(
  {
    format: fc.constant(1 as const),
    sessionId: fc.integer({ min: 1, max: 0xffff_ffff }),
    peerName: fc.string({ maxLength: 64 }),
    link: fc.string({ maxLength: 64 }),
    granted: u64,
    maxPayload: fc.integer({ min: 1, max: 0xffff_ffff }),
    jitterBudgetUs: fc.integer({ min: 0, max: 0xffff_ffff }),
    heartbeatMs: fc.integer({ min: 0, max: 0xffff_ffff }),
    clockSource: fc.integer({ min: 0, max: 255 }),
    resumeTokenSha256: fc.string({ minLength: 1, maxLength: 32 }).map(hashResumeToken),
    receivedFloor: u64,
    sentSeq: u64,
    grantedAtMs: fc.nat(),
    savedAtMs: fc.nat(),
    detachedAtMs: fc.nat(),
  },
  {
    requiredKeys: [
      'format',
      'sessionId',
      'peerName',
      'link',
      'granted',
      'maxPayload',
      'jitterBudgetUs',
      'heartbeatMs',
      'clockSource',
      'resumeTokenSha256',
      'receivedFloor',
      'sentSeq',
      'grantedAtMs',
      'savedAtMs',
    ],
  },
);

/** Any JSON, and records with one field replaced by any JSON (most of them no longer records). */
const hostile = fc.oneof(
  fc.jsonValue(),
  fc
    .tuple(
      recordArb,
      fc.constantFrom('format', 'sessionId', 'granted', 'receivedFloor', 'sentSeq', 'resumeTokenSha256', 'maxPayload', 'detachedAtMs', 'peerName', 'extra'),
      fc.jsonValue(),
    )
    .map(([r, key, v]) => ({ ...r, [key]: v })),
);

describe('session records', () => {
  it('a record survives JSON and the check unchanged', () => {
    fc.assert(
      fc.property(recordArb, (r) => {
        expect(parseSessionRecord(JSON.parse(JSON.stringify(r)))).toEqual(r);
      }),
      { numRuns: fuzzRuns(100), ...fuzzSeed() },
    );
  });

  it('anything else is refused with SessionRecordError naming the field, never another error', () => {
    fc.assert(
      fc.property(hostile, (value) => {
        try {
          const r = parseSessionRecord(value);
          // Taken: then it is a record, whole (a replaced field that still fits).
          expect(parseSessionRecord(JSON.parse(JSON.stringify(r)))).toEqual(r);
        } catch (err) {
          expect(err).toBeInstanceOf(SessionRecordError);
          expect((err as SessionRecordError).message.length).toBeLessThan(300);
        }
      }),
      { numRuns: fuzzRuns(250), ...fuzzSeed() },
    );
    const bad: [unknown, string][] = [
      [null, ''],
      [[], ''],
      [{ format: 2 }, 'format'],
      [{ format: 1, sessionId: 0 }, 'sessionId'],
      [{ format: 1, sessionId: 1n }, 'sessionId'],
    ];
    for (const [value, field] of bad) expect(() => parseSessionRecord(value)).toThrow(expect.objectContaining({ field }));
  });

  it('a token matches its hash only', () => {
    const hash = hashResumeToken('tok-1');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(resumeTokenMatches('tok-1', hash)).toBe(true);
    expect(resumeTokenMatches('tok-2', hash)).toBe(false);
    expect(resumeTokenMatches('', hash)).toBe(false);
  });

  it('authorities share a store: each loads its own records only, also when one name continues another after a /', async () => {
    const store = new MemoryStore();
    const hub = storeSessionRecords(store, { authority: 'hub' });
    const east = storeSessionRecords(store, { authority: 'hub/east' });
    const record = (sessionId: number): SessionRecord => fc.sample(recordArb, { numRuns: 1, seed: sessionId })[0]!;
    await hub.save({ ...record(1), sessionId: 1 }, 'grant');
    await east.save({ ...record(2), sessionId: 2 }, 'grant');
    expect(await hub.load()).toEqual({ records: [expect.objectContaining({ sessionId: 1 })], skipped: [] });
    expect(await east.load()).toEqual({ records: [expect.objectContaining({ sessionId: 2 })], skipped: [] });
    expect((await store.list('midl', 'grants')).ids).toHaveLength(2);
    await hub.remove(1);
    expect((await hub.load()).records).toEqual([]);
    expect((await east.load()).records).toHaveLength(1);
  });

  it('load skips a document the store cannot read, and fails when the store fails', async () => {
    const store = new MemoryStore();
    const records = storeSessionRecords(store, { authority: 'auth' });
    await store.put('midl', 'sessions', 'auth/1', { broken: true });
    const corrupt: StoreBackend = {
      description: 'corrupt',
      get: (_c, _k, id) => Promise.reject(new StoreError('corrupt', `corrupt: ${id}: not JSON`)),
      put: (...a) => store.put(...a),
      list: (...a) => store.list(...a),
      delete: (...a) => store.delete(...a),
      close: () => Promise.resolve(),
    };
    expect(await storeSessionRecords(corrupt, { authority: 'auth' }).load()).toEqual({
      records: [],
      skipped: [{ id: 'auth/1', reason: 'corrupt: auth/1: not JSON' }],
    });
    expect((await records.load()).skipped).toEqual([{ id: 'auth/1', reason: expect.stringContaining('unknown field "broken"') as unknown }]);
    const down: StoreBackend = { ...corrupt, get: () => Promise.reject(new StoreError('unavailable', 'down')) };
    await expect(storeSessionRecords(down, { authority: 'auth' }).load()).rejects.toThrow('down');
    // An authority name no store id can hold is refused at once.
    expect(() => storeSessionRecords(store, { authority: 'a|b' })).toThrow(StoreError);
  });
});
