import type { FlexFailure, FlexReply } from '../../generated/index.ts';
import { FlexReply as FlexReplyCodec } from '../../generated/index.ts';
import { flexFailure } from './failures.ts';
import type { FlexJournal, JournaledRequest } from './journal.ts';
import type { ReplayGuard } from './replay-guard.ts';

export interface RecoveryOptions {
  readonly guard: ReplayGuard;
  readonly maxAgeMs: number;
  readonly now: () => number;
  /** Publishes the final reply of an interrupted call. */
  readonly reply: (corr: string, intent: string | undefined, error: FlexFailure) => Promise<FlexReply>;
  /** A journal file that cannot be read or answered; the others are still recovered. */
  readonly onError: (err: unknown) => void;
}

/**
 * The bridge's start with a journal. Every `<corr>-req.json` without its `-res.json` is a call that was
 * in flight when the bridge stopped: it is answered INTERRUPTED on its corr and its `-res.json` written,
 * so it is never forgotten. The corrs of recent requests seed the replay guard, so an envelope sent
 * before the restart is still a replay after it while its ts is inside the clock window. Resolves with
 * how many calls were answered.
 */
export async function recoverJournal(journal: FlexJournal, options: RecoveryOptions): Promise<number> {
  const { requests, foreign } = await journal.requests();
  for (const file of foreign) options.onError(new Error(`${file}: not a journal name the bridge writes; left alone`));
  // An envelope received before now - 2 * window had a ts no later than its receipt + window: stale now.
  const since = options.now() - 2 * options.maxAgeMs;
  let answered = 0;
  for (const request of requests.sort((a, b) => a.mtimeMs - b.mtimeMs)) {
    if (request.answered && request.mtimeMs < since) continue;
    try {
      if (await recoverOne(journal, request, options)) answered += 1;
    } catch (err) {
      options.onError(new Error(`journal ${request.file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
    }
  }
  return answered;
}

/** Seeds the guard with one request and answers it when it was in flight; true when it was. */
async function recoverOne(journal: FlexJournal, request: JournaledRequest, options: RecoveryOptions): Promise<boolean> {
  const record = requestRecord(await journal.read(request.file));
  if (record.corr !== undefined && record.corr !== request.corr) throw new Error(`names corr ${request.corr} but holds corr ${JSON.stringify(record.corr)}`);
  if (record.sender !== undefined && record.ts !== undefined) options.guard.admit(record.sender, request.corr, record.ts);
  if (request.answered) return false;
  const final = await options.reply(
    request.corr,
    record.intent,
    flexFailure('INTERRUPTED', 'the bridge restarted while the call was in flight; it may or may not have reached the service'),
  );
  await journal.answer(request, { finishedAt: new Date(options.now()).toISOString(), recovered: true, reply: FlexReplyCodec.toJSON(final) });
  return true;
}

/** What recovery needs of a request record; a missing or malformed field is left out (the call is still answered). */
function requestRecord(json: unknown): { sender?: string; corr?: string; intent?: string; ts?: bigint } {
  if (typeof json !== 'object' || json === null) throw new Error('not a JSON object');
  const r = json as { sender?: unknown; envelope?: unknown };
  const e = (typeof r.envelope === 'object' && r.envelope !== null ? r.envelope : {}) as { corr?: unknown; intent?: unknown; ts?: unknown };
  const ts =
    typeof e.ts === 'string' && /^\d{1,20}$/.test(e.ts) ? BigInt(e.ts) : typeof e.ts === 'number' && Number.isSafeInteger(e.ts) ? BigInt(e.ts) : undefined;
  const intent = typeof e.intent === 'string' && /^[a-z][a-z0-9_]*(?:[.][a-z][a-z0-9_]*)*$/.test(e.intent) && e.intent.length <= 128 ? e.intent : undefined;
  return {
    ...(typeof r.sender === 'string' ? { sender: r.sender } : {}),
    ...(typeof e.corr === 'string' ? { corr: e.corr } : {}),
    ...(intent !== undefined ? { intent } : {}),
    ...(ts !== undefined ? { ts } : {}),
  };
}
