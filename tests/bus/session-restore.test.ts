import { afterEach, describe, expect, it } from 'vitest';
import {
  NetworkBus,
  type JsonValue,
  RESTORED_SEQ_JUMP,
  hashResumeToken,
  loopbackLinkPair,
  SessionRecordError,
  type SessionRecord,
  type SessionRecords,
  type UmpLink,
} from '../../runtime/index.ts';
import { ControlKind } from '../../runtime/lanes/control.ts';
import { FrameKind } from '../../runtime/lanes/frame.ts';
import { MemoryStore, StoreError, type StoreBackend } from '../../runtime/store/index.ts';
import { storeSessionRecords, type StoreSessionRecords } from '../../services/index.ts';
import { topics } from '../../generated/registry.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { registry, until } from './network-peers.ts';
import { RawPeer } from './raw-peer.ts';

const result = topics['gpu/job.result/{corr}'];
const dispatch = topics['gpu/job.dispatch'];
const ALL = (1n << 64n) - 1n;
const fast = { retransmit: { initialMs: 10, maxMs: 50, maxAttempts: 1_000 } };

const busErrors = collectBusErrors();
const open: NetworkBus[] = [];
afterEach(async () => {
  for (const bus of open.splice(0)) await bus.close();
});

/**
 * An authority's records as a process writes them: once `killed`, the process is gone and writes
 * nothing more (a SIGKILL: no detach record, no removal), while what it wrote before stays in the store.
 */
function killable(records: SessionRecords): SessionRecords & { killed: boolean } {
  return {
    killed: false,
    save(record, event) {
      return this.killed ? Promise.resolve() : records.save(record, event);
    },
    remove(sessionId) {
      return this.killed ? Promise.resolve() : records.remove(sessionId);
    },
  };
}

function authority(name: string, records: StoreSessionRecords | SessionRecords, restored: readonly SessionRecord[] = []): NetworkBus {
  const bus = new NetworkBus({ name: 'auth', ...registry, ...fast, onError: busErrors.for(name), sessionRecords: records, restoredSessions: restored });
  open.push(bus);
  return bus;
}

describe('sessions kept in a store', () => {
  it('an authority killed and restarted from its store resumes the session: no at-least-once message is lost, seqs go on both ways', async () => {
    const store = new MemoryStore();
    const records = storeSessionRecords(store, { authority: 'auth' });
    const first = killable(records);
    const a1 = authority('a1', first);
    const atA1: number[] = [];
    await a1.subscribe(result, (_v, d) => void atA1.push(Number(d.params.corr))).ready;

    // The client's path: a link to whichever authority is up; frames to the first one can be cut.
    let cut = false;
    let next: Promise<NetworkBus> = Promise.resolve(a1);
    let current: UmpLink | undefined;
    const linkTo = async (): Promise<UmpLink> => {
      const target = await next;
      const [mine, theirs] = loopbackLinkPair({ names: ['client', 'auth'], filter: () => !(cut && target === a1) });
      target.accept(theirs);
      current = mine;
      return mine;
    };
    const client = new NetworkBus({ name: 'client', ...registry, ...fast, onError: busErrors.for('client') });
    open.push(client);
    await client.connect(await linkTo(), { reconnect: linkTo, resumeForMs: 10_000 });
    const atClient: string[] = [];
    await client.subscribe(dispatch, (_v, d) => void atClient.push(`${d.corr}`)).ready;
    const sessionId = client.sessionId;
    await until(() => a1.stats().peers.some((p) => p.subscriptions > 0), 2_000, 'the client subscription at the first authority');

    // Before the kill: 20 messages each way, acknowledged (the old authority's sequence state moves on
    // past what its grant record says: receivedFloor 0, sentSeq 0).
    const N = 50;
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.publish(result, result.payload.example(), { params: { corr: i } })));
    await Promise.all(Array.from({ length: 20 }, () => a1.publish(dispatch, dispatch.payload.example(), { qos: 'at_least_once' })));
    await until(() => atClient.length === 20, 2_000, 'the first authority’s messages at the client');
    // Around the kill: 30 more the first authority never acknowledges (the path is cut), then SIGKILL.
    cut = true;
    const pending = Array.from({ length: N - 20 }, (_, i) => client.publish(result, result.payload.example(), { params: { corr: 20 + i } }));
    await new Promise((r) => setTimeout(r, 30));
    first.killed = true;
    let restart!: (bus: NetworkBus) => void;
    next = new Promise((r) => (restart = r));
    await current!.close(); // the socket of a killed process: gone without a CLOSE
    await until(() => a1.stats().peers.every((p) => p.state === 'detached'), 2_000, 'the first authority’s session detached');
    await a1.close();

    const stored = (await store.list('midl', 'sessions')).ids;
    expect(stored).toEqual([`auth/${sessionId}`]);
    const loaded = await records.load();
    expect(loaded.skipped).toEqual([]);
    expect(loaded.records).toHaveLength(1);
    expect(loaded.records[0]).toMatchObject({ sessionId, peerName: 'client', receivedFloor: '0', sentSeq: '0' });
    expect(loaded.records[0]!.detachedAtMs).toBeUndefined(); // killed while attached: no detach record

    const a2 = authority('a2', records, loaded.records);
    expect(a2.sessionsRestored).toBe(1);
    expect(a2.stats().peers).toEqual([expect.objectContaining({ sessionId, name: 'client', state: 'detached' })]);
    const atA2: number[] = [];
    // Its subscription is announced to the restored session once the client resumes it.
    const subscribed = a2.subscribe(result, (_v, d) => void atA2.push(Number(d.params.corr))).ready;
    restart(a2);
    await subscribed;

    await Promise.all(pending);
    expect(client.sessionId).toBe(sessionId);
    expect(client.stats().resumes).toBe(1);
    expect(a2.stats().resumes).toBe(1);
    const all = new Set([...atA1, ...atA2]);
    expect([...all].sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i));
    // The 30 the first authority never acknowledged reach the second; copies of the first 20 may too
    // (the restored inbox cannot know what the old one acknowledged after its record): counted, allowed.
    for (let i = 20; i < N; i++) expect(atA2).toContain(i);
    const duplicates = atA1.length + atA2.length - N;
    expect(duplicates).toBeGreaterThanOrEqual(0);
    expect(duplicates).toBeLessThanOrEqual(20);

    // The sequence goes on both ways: the client's new messages, and the restarted authority's, whose
    // seqs jumped past the old process's (the client received 20 of those: none is taken for a copy).
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.publish(result, result.payload.example(), { params: { corr: 100 + i } })));
    await until(() => atA2.filter((c) => c >= 100).length === 10, 2_000, 'new messages at the second authority');
    await Promise.all(Array.from({ length: 10 }, () => a2.publish(dispatch, dispatch.payload.example(), { qos: 'at_least_once' })));
    await until(() => atClient.length === 30, 2_000, 'the second authority’s messages at the client');
    // The resume rotated the token and wrote it (hashed) before its WELCOME.
    const after = (await records.load()).records[0]!;
    expect(after.resumeTokenSha256).not.toBe(loaded.records[0]!.resumeTokenSha256);
    expect(BigInt(after.sentSeq)).toBeGreaterThan(RESTORED_SEQ_JUMP);
    // Each grant and resume is in the grant log.
    const log = (await store.list('midl', 'grants', { prefix: 'auth/' })).ids;
    expect(log).toHaveLength(2);
    const events = await Promise.all(log.map(async (id) => (await store.get('midl', 'grants', id))!.value as { event: string; client: string }));
    expect(events.map((e) => e.event).sort()).toEqual(['grant', 'resume']);
    expect(events.every((e) => e.client === 'client')).toBe(true);
  });

  it('keeps the resume token only hashed; a restored session refuses a wrong token and a spent one, takes the right one, and its seqs jump', async () => {
    const store = new MemoryStore();
    const records = storeSessionRecords(store, { authority: 'auth' });
    const first = killable(records);
    const a1 = authority('a1', first);
    const raw = RawPeer.attach(a1);
    raw.answerSubscribes = true;
    const welcome = await raw.hello(ALL);
    expect(welcome.kind).toBe(ControlKind.Welcome);
    const token = raw.token;
    const text = JSON.stringify((await store.get('midl', 'sessions', `auth/${raw.sessionId}`))!.value);
    expect(text).not.toContain(token);
    expect(text).toContain(hashResumeToken(token));
    const grants = (await store.list('midl', 'grants')).ids;
    expect(JSON.stringify(await Promise.all(grants.map((id) => store.get('midl', 'grants', id))))).not.toContain(hashResumeToken(token));
    first.killed = true;
    await a1.close();

    const a2 = authority('a2', records, (await records.load()).records);
    const thief = RawPeer.attach(a2);
    const refused = await thief.hello(0n, { sessionId: raw.sessionId, token: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, lastSeq: 0n });
    expect(refused).toMatchObject({ kind: ControlKind.Refuse, name: 'INVALID_RESUME_TOKEN' });

    const back = RawPeer.attach(a2);
    back.answerSubscribes = true;
    const resumed = await back.hello(0n, { sessionId: raw.sessionId, token, lastSeq: 7n });
    expect(resumed).toMatchObject({ kind: ControlKind.Welcome, sessionId: raw.sessionId, resumed: true, lastSeq: 0n });
    // Its messages to the client are sequenced past anything the old process may have sent.
    back.control({ kind: ControlKind.Subscribe, subId: 1, topicId: dispatch.id, pattern: dispatch.address });
    await until(() => a2.stats().peers.some((p) => p.subscriptions === 1), 2_000, 'the SUBSCRIBE');
    await a2.publish(dispatch, dispatch.payload.example(), { qos: 'at_most_once' }).catch(() => undefined);
    await until(() => back.frames.length > 0, 2_000, 'a frame from the restarted authority');
    expect(back.frames[0]!.seq).toBe(7n + RESTORED_SEQ_JUMP + 1n);

    const again = RawPeer.attach(a2);
    const spent = await again.hello(0n, { sessionId: raw.sessionId, token, lastSeq: 0n });
    expect(spent).toMatchObject({ kind: ControlKind.Refuse, name: 'INVALID_RESUME_TOKEN' });
  });

  it('does not restore an expired session (its record goes), nor one today’s policy grants nothing; a corrupt record is skipped by name', async () => {
    const store = new MemoryStore();
    const records = storeSessionRecords(store, { authority: 'auth' });
    const base: SessionRecord = {
      format: 1,
      sessionId: 11,
      peerName: 'old',
      link: 'loopback',
      granted: '3',
      maxPayload: 4096,
      jitterBudgetUs: 5000,
      heartbeatMs: 1000,
      clockSource: 1,
      resumeTokenSha256: hashResumeToken('t'),
      receivedFloor: '0',
      sentSeq: '0',
      grantedAtMs: Date.now() - 120_000,
      savedAtMs: Date.now() - 120_000,
    };
    await records.save({ ...base, detachedAtMs: Date.now() - 60_001 }, 'detach'); // past the 60 s window
    await records.save({ ...base, sessionId: 12, detachedAtMs: Date.now() - 1_000 }, 'detach');
    await records.save({ ...base, sessionId: 13 }, 'detach');
    await records.save({ ...base, sessionId: 17, clockSource: 4 }, 'detach'); // ntp: a clock this node does not keep
    await store.put('midl', 'sessions', 'auth/14', { format: 1, sessionId: 'fourteen' });
    await store.put('midl', 'sessions', 'auth/15', { ...base, sessionId: 16 } as unknown as JsonValue);
    const loaded = await records.load();
    expect(loaded.skipped).toEqual([
      { id: 'auth/14', reason: expect.stringContaining('sessionId') as unknown },
      { id: 'auth/15', reason: expect.stringContaining('not the one its id names') as unknown },
    ]);
    expect(loaded.records.map((r) => r.sessionId)).toEqual([11, 12, 13, 17]);
    const bus = new NetworkBus({
      name: 'auth',
      ...registry,
      onError: busErrors.for('auth'),
      sessionRecords: records,
      // A caller may hand the bus anything: what is not a record is reported and left out.
      restoredSessions: [...loaded.records, { format: 2 } as unknown as SessionRecord],
      // Today's policy: session 13's client (granted bits 0 and 1 before) is granted nothing now.
      grant: (requested, hello) => (hello.name === 'old' ? requested & 1n : requested),
    });
    open.push(bus);
    expect(bus.sessionsRestored).toBe(2);
    busErrors.claim({ bus: 'auth', type: SessionRecordError, address: 'restoredSessions', message: 'layout 2 is not 1' }, 1);
    expect(bus.stats().peers.map((p) => [p.sessionId, p.granted])).toEqual([
      [12, 1n],
      [13, 1n],
    ]);
    // The expired session's record is removed by the bus, asynchronously: within a few ms.
    for (let i = 0; i < 100 && (await store.list('midl', 'sessions')).ids.some((id) => id === 'auth/11' || id === 'auth/17'); i++)
      await new Promise((r) => setTimeout(r, 5));
    expect((await store.list('midl', 'sessions')).ids).toEqual(['auth/12', 'auth/13', 'auth/14', 'auth/15']);
  });

  it('a restored session is granted again by today’s policy for its name and user: never more than its record, and refused when the policy refuses it', async () => {
    const store = new MemoryStore();
    const records = storeSessionRecords(store, { authority: 'auth' });
    const now = Date.now();
    const recorded = (sessionId: number, user: string): SessionRecord => ({
      format: 1,
      sessionId,
      peerName: 'client',
      link: 'loopback',
      user,
      granted: ALL.toString(),
      qos: ['at_most_once'],
      grantedBy: 'yesterday’s rule',
      maxPayload: 65536,
      jitterBudgetUs: 5000,
      heartbeatMs: 1000,
      clockSource: 1,
      resumeTokenSha256: hashResumeToken(`token-${sessionId}`),
      receivedFloor: '0',
      sentSeq: '0',
      grantedAtMs: now - 1_000,
      savedAtMs: now - 1_000,
      detachedAtMs: now - 1_000,
    });
    await records.save(recorded(21, 'alice'), 'detach');
    await records.save(recorded(22, 'mallory'), 'detach');
    const asked: { name: string; user?: string }[] = [];
    const a = new NetworkBus({
      name: 'auth',
      ...registry,
      onError: busErrors.for('a'),
      sessionRecords: records,
      restoredSessions: (await records.load()).records,
      grant: (requested, hello) => {
        asked.push({ ...hello });
        return hello.user === 'alice'
          ? { capabilities: requested, qos: ['at_most_once', 'at_least_once'], by: 'alice’s rule' }
          : { capabilities: 0n, refused: 'no rule for this user' };
      },
    });
    open.push(a);
    expect(asked).toEqual([
      { name: 'client', user: 'alice' },
      { name: 'client', user: 'mallory' },
    ]);
    expect(a.sessionsRestored).toBe(1);
    // The session was alice's: a link that proves no user, or another, cannot take it, even with its token.
    const stranger = RawPeer.attach(a, 'bob');
    expect(await stranger.hello(ALL, { sessionId: 21, token: 'token-21', lastSeq: 0n })).toMatchObject({
      kind: ControlKind.Refuse,
      name: 'CAPABILITY_DENIED',
      message: 'session 21 was granted to another user than this link proves',
    });
    const back = RawPeer.attach(a, 'alice');
    expect(await back.hello(ALL, { sessionId: 21, token: 'token-21', lastSeq: 0n })).toMatchObject({ kind: ControlKind.Welcome, resumed: true });
    // The record allowed at-most-once only; today's rule allows more, but the session gets no more than it had.
    back.data(FrameKind.Publish, 1n, 'gpu/job.result/1', back.header(result.id, { qos: 1 }), result.payload.encode(result.payload.example()));
    expect(await back.answerTo(1n)).toMatchObject({ kind: ControlKind.Nack, reason: 'forbidden' });
    const kept = (await records.load()).records;
    expect(kept.map((r) => [r.sessionId, r.user, r.qos, r.grantedBy])).toEqual([[21, 'alice', ['at_most_once'], 'alice’s rule']]);
  });

  it('a resume whose new link drops while its record is written leaves the client’s token good', async () => {
    const store = new MemoryStore();
    const inner = storeSessionRecords(store, { authority: 'auth' });
    let release: (() => void) | undefined;
    let held = 0;
    const records: SessionRecords = {
      save: async (record, event) => {
        if (event === 'resume' && held++ === 0) await new Promise<void>((r) => (release = r));
        return inner.save(record, event);
      },
      remove: (id) => inner.remove(id),
    };
    const a = authority('a', records);
    const raw = RawPeer.attach(a);
    await raw.hello(ALL);
    const { sessionId, token } = raw;
    await raw.link.close();
    await until(() => a.stats().peers.some((p) => p.state === 'detached'), 2_000, 'the session detached');
    const dropped = RawPeer.attach(a);
    dropped.control({
      kind: ControlKind.Hello,
      name: 'raw',
      capabilities: ALL,
      maxPayload: 65536,
      jitterBudgetUs: 5000,
      heartbeatMs: 1000,
      clockSources: [1],
      interests: [],
      resume: { sessionId, token, lastSeq: 0n },
    });
    await until(() => release !== undefined, 2_000, 'the resume’s record being written');
    await dropped.link.close();
    await until(() => a.stats().peers.length === 1, 2_000, 'the dropped link’s peer gone'); // (its link down reached the authority)
    release!();
    await until(() => a.stats().peers.every((p) => p.state === 'detached'), 2_000, 'the session still detached');
    expect(dropped.controls.filter((c) => c.kind === ControlKind.Welcome)).toEqual([]);
    // No WELCOME went out: the token the client holds still resumes the session.
    const back = RawPeer.attach(a);
    expect(await back.hello(ALL, { sessionId, token, lastSeq: 0n })).toMatchObject({ kind: ControlKind.Welcome, sessionId, resumed: true });
    const stored = (await inner.load()).records[0]!;
    expect(stored.resumeTokenSha256).toBe(hashResumeToken(back.token));
  });

  it('refuses a session whose record cannot be written, saying why, and leaves no part of it in the store', async () => {
    const store = new MemoryStore();
    // The record is written, the grant log is not: the grant is refused and the record removed again.
    const logDown: StoreBackend = {
      description: 'memory, grant log down',
      get: (...a) => store.get(...a),
      put: (corpus, collection, id, value, condition) =>
        collection === 'grants' ? Promise.reject(new StoreError('unavailable', 'grant log down')) : store.put(corpus, collection, id, value, condition),
      list: (...a) => store.list(...a),
      delete: (...a) => store.delete(...a),
      close: () => Promise.resolve(),
    };
    const a = authority('a', storeSessionRecords(logDown, { authority: 'auth' }));
    const raw = RawPeer.attach(a);
    const answer = await raw.hello(0n);
    expect(answer).toMatchObject({ kind: ControlKind.Refuse, name: 'SESSION_LIMIT', message: expect.stringContaining('grant log down') as unknown });
    await until(() => a.stats().peers.length === 0, 2_000, 'the refused peer dropped');
    for (let i = 0; i < 100 && (await store.list('midl', 'sessions')).ids.length > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect((await store.list('midl', 'sessions')).ids).toEqual([]);
  });
});
