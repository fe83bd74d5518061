import { BusError, type AnyIntentDescriptor, type Bus, type Delivery, type JsonValue, type NetworkBus, type Subscription } from '../../runtime/index.ts';
import {
  FlexEnvelope,
  FlexError,
  FlexReply,
  intents,
  topics,
  type FlexFailure,
  type FlexProgress,
  type FlexSuccess,
  type FlexUnhandled,
} from '../../generated/index.ts';
import { flexErrorName, flexFailure } from './failures.ts';
import { callService, intentRequest, type CallOutcome, type IntentRequest } from './http-call.ts';
import { FlexJournal } from './journal.ts';
import { replyLabel } from './labels.ts';
import type { FlexBridgeObserver } from './observer.ts';
import { recoverJournal } from './recovery.ts';
import { ReplayGuard } from './replay-guard.ts';

/** The schema's pattern of a corr (FlexEnvelope.corr): no '/', '{', '}' or '*', so it always names a reply address. */
const CORR = /^[A-Za-z0-9._:-]{1,64}$/;

/** Where the bearer token of service calls comes from (a GatewayToken). */
export interface TokenSource {
  bearer(): Promise<string>;
  /** Forgets a token a service refused. */
  invalidate?(token: string): void;
}

export interface FlexBridgeOptions {
  /** Base URL of each service by the `service:` name of the schema's intents (`planner`, `llm_gateway`, …). */
  readonly services: Readonly<Record<string, string>>;
  /** Where `<corr>-req.json` and `<corr>-res.json` are kept; no journal without it. */
  readonly journalDir?: string;
  /** Clock window of an envelope's `ts`, in milliseconds either way (default 60,000). */
  readonly maxAgeMs?: number;
  /** How many (sender, corr) pairs the replay defence remembers (default 65,536). */
  readonly replayCapacity?: number;
  /** How long a service may take to answer (default 10,000 ms). */
  readonly timeoutMs?: number;
  /** Largest service response read (default 192 KiB, so that a success fits the reply topic's 256 KiB). */
  readonly maxResponseBytes?: number;
  /** The intents served (default: every intent of the schema with an `http:` mapping). */
  readonly intents?: readonly AnyIntentDescriptor[];
  /** Who sent a delivery, for the replay defence and `admission` (default: `session ID`; on a NetworkBus: `networkPeerSender`). */
  readonly senderOf?: (delivery: Delivery<FlexEnvelope>) => string;
  /**
   * Whether `sender` may send `intent` now (the policy's whitelist and rate, policy.ts `DeviceGate`):
   * undefined admits, a FlexFailure refuses. Asked after the replay defence, before the intent is looked up.
   */
  readonly admission?: (sender: string, intent: string) => FlexFailure | undefined;
  /** The bearer token attached to every service call (a GatewayToken); none: calls go without one. */
  readonly token?: TokenSource;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** Told of every envelope, reply and service call (metrics). */
  readonly observer?: FlexBridgeObserver;
  /** A call not answered after this many milliseconds gets a progress reply (default 1,000). */
  readonly progressAfterMs?: number;
  /** Then one every this many milliseconds until the final reply (default 2,000). */
  readonly progressEveryMs?: number;
  /** Each envelope refused UNKNOWN_INTENT, as published on `flex/unhandled` (for the bridge's log). */
  readonly onUnhandled?: (unhandled: FlexUnhandled) => void;
  /**
   * With a journal: answer the calls it shows interrupted only when `recover()` is called, not at start.
   * A bus that listens for devices can call it once it listens, so that a device reconnecting at once
   * hears the answers; envelopes received before wait for it.
   */
  readonly deferRecovery?: boolean;
  /** With a journal, at start (or `recover()`): how many calls in flight when the bridge last stopped were answered INTERRUPTED. */
  readonly onRecovered?: (count: number) => void;
  /** Failures that no reply can carry: an envelope without a usable corr, a journal or publish failure. */
  readonly onError: (err: unknown) => void;
}

export interface FlexBridge {
  /** Resolves once the bridge receives envelopes and has answered the calls its journal shows interrupted (unless `deferRecovery`). */
  readonly ready: Promise<void>;
  /** Answers the calls the journal shows interrupted, once (with `deferRecovery`; else the recovery at start); resolves when done. */
  recover(): Promise<void>;
  /** Envelopes accepted whose final reply is not sent yet. */
  readonly inFlight: number;
  /** Stops taking envelopes and waits for the calls in flight to be answered and the refusals on their way to be delivered. */
  close(): Promise<void>;
}

/**
 * Serves `flex/envelope` on `bus`: refuses a malformed, stale, replayed or unknown envelope on
 * `flex/reply/{corr}` (ack false with the FlexError member), else journals it, acks it and answers
 * with the service's response (success) or why there is none (error).
 */
export function serveFlexBridge(bus: Bus, options: FlexBridgeOptions): FlexBridge {
  const now = options.now ?? Date.now;
  const served = new Map((options.intents ?? Object.values(intents)).map((i) => [i.name, i]));
  const guard = new ReplayGuard({ maxAgeMs: options.maxAgeMs ?? 60_000, capacity: options.replayCapacity ?? 65_536, now });
  const journal = options.journalDir !== undefined ? new FlexJournal(options.journalDir) : undefined;
  const callOptions = {
    fetch: options.fetch ?? fetch,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxResponseBytes: options.maxResponseBytes ?? 192 * 1024,
    headers: {},
  };
  const senderOf = options.senderOf ?? ((d: Delivery<FlexEnvelope>) => `session ${d.sessionId}`);
  const pending = new Set<Promise<void>>();
  /** The retry hint of a JOURNAL_UNAVAILABLE refusal: a full or read-only disk is the operator's to fix. */
  const JOURNAL_RETRY_MS = 5_000;

  const progressAfterMs = options.progressAfterMs ?? 1_000;
  const progressEveryMs = options.progressEveryMs ?? 2_000;
  /** Stops the progress replies of each call in flight (close). */
  const progressStops = new Set<() => void>();

  /** A reply to `corr`, with its label and the time now. */
  const replyValue = (
    corr: string,
    intent: string | undefined,
    fields: { ack: boolean; progress?: FlexProgress; success?: FlexSuccess; error?: FlexFailure },
    service?: string,
  ): FlexReply => {
    const label = replyLabel(fields, {
      ...(intent !== undefined ? { intent } : {}),
      ...(service !== undefined ? { service } : {}),
      ...(fields.progress?.elapsedMs !== undefined ? { elapsedMs: fields.progress.elapsedMs } : {}),
    });
    return { v: 1, ts: BigInt(now()), corr, ...(intent !== undefined ? { intent } : {}), ...fields, label };
  };
  /** Publishes a reply on `flex/reply/{corr}`; resolves once the bus has delivered it (at least once), and tells the observer. */
  const publishReply = (value: FlexReply): Promise<FlexReply> =>
    bus.publish(topics['flex/reply/{corr}'], value, { params: { corr: value.corr } }).then(() => {
      const { error, success, progress } = value;
      options.observer?.replied(
        error ? 'error' : success ? 'success' : progress ? 'progress' : 'ack',
        error && (flexErrorName(error.code) ?? `code ${error.code}`),
      );
      return value;
    });
  const reply = (
    corr: string,
    intent: string | undefined,
    fields: { ack: boolean; progress?: FlexProgress; success?: FlexSuccess; error?: FlexFailure },
    service?: string,
  ): Promise<FlexReply> => publishReply(replyValue(corr, intent, fields, service));
  const refuse = (corr: string, intent: string | undefined, error: FlexFailure) => reply(corr, intent, { ack: false, error });

  /** The intent and HTTP request of an acceptable envelope, or the FlexError member refusing it. */
  function admit(envelope: FlexEnvelope, sender: string): { intent: AnyIntentDescriptor; request: IntentRequest } | FlexFailure {
    const checked = FlexEnvelope.validate(envelope);
    if (!checked.ok) {
      const why = checked.errors.map((e) => `${e.path || '/'}: ${e.message}`).join('; ');
      return flexFailure(checked.errors.some((e) => e.path === '/v') ? 'UNSUPPORTED_VERSION' : 'INVALID_ENVELOPE', `bad envelope: ${why}`);
    }
    const verdict = guard.admit(sender, envelope.corr, envelope.ts);
    if (verdict === 'stale') return flexFailure('STALE', `ts ${envelope.ts} is outside the ${guard.window} ms window`);
    if (verdict === 'replayed') return flexFailure('REPLAYED', `corr ${envelope.corr} was already used`);
    const denied = options.admission?.(sender, envelope.intent);
    if (denied) {
      // A refusal with a retry hint (BACKPRESSURE) asks for the same envelope again, so its corr stays
      // usable; any other (INTENT_NOT_ALLOWED) stays used: the same envelope would be refused the same way.
      if (denied.retryAfterMs !== undefined) guard.forget(sender, envelope.corr);
      return denied;
    }
    const intent = served.get(envelope.intent);
    if (!intent) return flexFailure('UNKNOWN_INTENT', `unknown intent ${envelope.intent}`);
    const baseUrl = options.services[intent.service];
    if (baseUrl === undefined) return flexFailure('UNKNOWN_INTENT', `no ${intent.service} service configured`);
    try {
      const body: unknown = intent.body.fromJSON(envelope.body);
      const valid = intent.body.validate(body);
      if (!valid.ok) return flexFailure('INVALID_BODY', `bad body: ${valid.errors.map((e) => `${e.path || '/'}: ${e.message}`).join('; ')}`);
      return { intent, request: intentRequest(intent, baseUrl, intent.body.toJSON(body) as { [key: string]: JsonValue }) };
    } catch (err) {
      return flexFailure('INVALID_BODY', `bad body: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * The service call with the gateway's bearer token when the bridge has one; no token is UNAUTHORIZED
   * and the service is not called. A token the service refuses (401: revoked, or the clocks disagree)
   * is dropped and the call made once more with a fresh one; a 401 means the call did nothing.
   */
  async function authorizedCall(intent: AnyIntentDescriptor, request: IntentRequest): Promise<CallOutcome> {
    const source = options.token;
    if (!source) return callService(intent, request, callOptions);
    const first = await callWithToken(intent, request, source);
    if (first.token === undefined || !('error' in first.outcome) || first.outcome.error.httpStatus !== 401 || !source.invalidate) return first.outcome;
    source.invalidate(first.token);
    return (await callWithToken(intent, request, source)).outcome;
  }

  async function callWithToken(intent: AnyIntentDescriptor, request: IntentRequest, source: TokenSource): Promise<{ outcome: CallOutcome; token?: string }> {
    let token: string;
    try {
      token = await source.bearer();
    } catch (err) {
      return { outcome: { error: flexFailure('UNAUTHORIZED', `${intent.service}: no token: ${err instanceof Error ? err.message : String(err)}`) } };
    }
    return { outcome: await callService(intent, request, { ...callOptions, headers: { authorization: `Bearer ${token}` } }), token };
  }

  async function handle(envelope: FlexEnvelope, delivery: Delivery<FlexEnvelope>): Promise<void> {
    options.observer?.envelope();
    const sender = senderOf(delivery);
    // Without a valid corr there is no reply address: the envelope can only be reported.
    if (typeof envelope.corr !== 'string' || !CORR.test(envelope.corr))
      throw new Error(`flex/envelope from ${sender}: corr ${JSON.stringify(envelope.corr)} cannot name a reply address; envelope dropped`);
    const receivedAt = now();
    const admitted = admit(envelope, sender);
    if ('code' in admitted) {
      const intentName = typeof envelope.intent === 'string' ? envelope.intent.slice(0, 128) : undefined;
      if (admitted.code === FlexError.REPLAYED) return refuseReplay(sender, envelope.corr, intentName, admitted);
      // Handed on and refused: a failure of either is reported, and the other still happens.
      const handedOn = admitted.code === FlexError.UNKNOWN_INTENT ? handOn(envelope, sender, receivedAt, admitted.message) : Promise.resolve();
      await Promise.all([handedOn.catch(options.onError), refuse(envelope.corr, intentName, admitted)]);
      return;
    }
    const { intent, request } = admitted;
    // Journaled before the ack: an acked envelope is on disk. One that cannot be journaled is refused (the
    // device hears it and may retry with the same corr), never called unjournaled nor left unanswered.
    try {
      await journal?.write(sender, envelope.corr, 'req', {
        sender,
        receivedAt: new Date(now()).toISOString(),
        http: { method: request.method, url: request.url },
        envelope: FlexEnvelope.toJSON(envelope),
      });
    } catch (err) {
      guard.forget(sender, envelope.corr);
      options.onError(err);
      await refuse(
        envelope.corr,
        intent.name,
        flexFailure('JOURNAL_UNAVAILABLE', 'journal unavailable: nothing was called', { retryAfterMs: JOURNAL_RETRY_MS }),
      );
      return;
    }
    // The service is called at once; the ack goes out beside the call, and every later reply waits until
    // the ack's publish settled, so the device hears the ack first. A failed ack is reported; the call
    // still runs and its outcome is still published and journaled.
    const acked = reply(envelope.corr, intent.name, { ack: true }, intent.service).then(
      () => undefined,
      (err: unknown) => options.onError(new Error(`flex/reply/${envelope.corr}: the ack was not delivered: ${describe(err)}`, { cause: err })),
    );
    const call = (async () => {
      const stopProgress = startProgress(envelope.corr, intent, acked);
      const started = performance.now();
      let outcome: CallOutcome;
      try {
        outcome = await authorizedCall(intent, request);
      } finally {
        // Before the final reply is published: no progress reply can follow it.
        stopProgress();
      }
      options.observer?.called(intent.service, (performance.now() - started) / 1000, 'success' in outcome ? 'success' : 'error');
      await acked;
      const { final, published } = await publishFinal(envelope.corr, intent, outcome);
      await journal?.write(sender, envelope.corr, 'res', {
        finishedAt: new Date(now()).toISOString(),
        ...(published ? {} : { published: false }),
        reply: FlexReply.toJSON(final),
      });
    })().catch(options.onError);
    pending.add(call);
    void call.finally(() => pending.delete(call));
  }

  /**
   * Refuses a replayed corr. When the journal holds its final reply, the refusal carries it in
   * `detail.final`, so a device that missed the answer (the bridge restarted, the link dropped) learns it
   * by sending the envelope again. A journal file that cannot be read or is not a reply is reported and
   * the refusal goes without it; so does one too large to repeat.
   */
  async function refuseReplay(sender: string, corr: string, intent: string | undefined, replayed: FlexFailure): Promise<void> {
    const final = journal && (await journaledFinal(journal, sender, corr));
    if (final !== undefined) {
      try {
        await refuse(corr, intent, { ...replayed, message: `${replayed.message}; its final reply is in detail.final`, detail: { final } });
        return;
      } catch (err) {
        if (!(err instanceof BusError && err.code === 'too-large')) throw err;
        await refuse(corr, intent, { ...replayed, message: `${replayed.message}; its final reply (journal) is too large to repeat here` });
        return;
      }
    }
    await refuse(corr, intent, replayed);
  }

  /** The JSON of the final reply journaled for (sender, corr); undefined when none is (the call is in flight, or was never journaled). */
  async function journaledFinal(journal: FlexJournal, sender: string, corr: string): Promise<JsonValue | undefined> {
    const file = journal.fileOf(sender, corr, 'res');
    try {
      const record = await journal.read(file);
      const json = typeof record === 'object' && record !== null ? (record as { reply?: unknown }).reply : undefined;
      if (json === undefined) throw new Error('holds no reply');
      const value = FlexReply.fromJSON(json);
      const checked = FlexReply.validate(value);
      if (!checked.ok) throw new Error(`not a reply: ${checked.errors.map((e) => `${e.path || '/'}: ${e.message}`).join('; ')}`);
      if (value.corr !== corr) throw new Error(`holds the reply to corr ${JSON.stringify(value.corr)}`);
      return FlexReply.toJSON(value);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      options.onError(new Error(`journal ${file}: ${describe(err)}; REPLAYED refused without the final reply`, { cause: err }));
      return undefined;
    }
  }

  /**
   * Publishes a call's final reply. A success too large for the reply topic is answered PAYLOAD_TOO_LARGE
   * instead. A reply the bus could not deliver is reported and still returned (published: false), so the
   * journal keeps the outcome and a replay of the corr can tell it.
   */
  async function publishFinal(corr: string, intent: AnyIntentDescriptor, outcome: CallOutcome): Promise<{ final: FlexReply; published: boolean }> {
    let final = replyValue(corr, intent.name, { ack: true, ...outcome }, intent.service);
    try {
      return { final: await publishReply(final), published: true };
    } catch (err) {
      if (!('success' in outcome) || !(err instanceof BusError && err.code === 'too-large')) {
        options.onError(new Error(`flex/reply/${corr}: the final reply was not delivered (journaled): ${describe(err)}`, { cause: err }));
        return { final, published: false };
      }
    }
    final = replyValue(corr, intent.name, { ack: true, error: flexFailure('PAYLOAD_TOO_LARGE', `${intent.service}: response too large for the reply`) });
    try {
      return { final: await publishReply(final), published: true };
    } catch (err) {
      options.onError(new Error(`flex/reply/${corr}: the final reply was not delivered (journaled): ${describe(err)}`, { cause: err }));
      return { final, published: false };
    }
  }

  /**
   * Progress replies for a call in flight: the first after progressAfterMs, then one every
   * progressEveryMs. The returned stop is called before the final reply; a tick after it sends nothing.
   */
  function startProgress(corr: string, intent: AnyIntentDescriptor, acked: Promise<void>): () => void {
    const startedAt = now();
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      if (stopped) return;
      // Never before the ack: a tick while the ack is still on its way waits for it (and sends nothing if the call ended meanwhile).
      void acked.then(() => {
        if (stopped) return;
        const elapsedMs = Math.max(0, Math.min(0xffff_ffff, now() - startedAt));
        reply(corr, intent.name, { ack: true, progress: { message: `waiting for ${intent.service}`.slice(0, 128), elapsedMs } }, intent.service).catch(
          options.onError,
        );
      });
      timer = setTimeout(tick, progressEveryMs);
    };
    timer = setTimeout(tick, progressAfterMs);
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
      progressStops.delete(stop);
    };
    progressStops.add(stop);
    return stop;
  }

  /** Publishes an envelope refused UNKNOWN_INTENT on `flex/unhandled` for the text/metadata handler, and tells onUnhandled. */
  async function handOn(envelope: FlexEnvelope, sender: string, receivedAt: number, reason: string): Promise<void> {
    // Only a valid envelope gets as far as the intent lookup, so it has a JSON form.
    const unhandled: FlexUnhandled = {
      envelope: FlexEnvelope.toJSON(envelope),
      sender: sender.slice(0, 256) || '?',
      receivedAt: BigInt(receivedAt),
      reason,
    };
    options.onUnhandled?.(unhandled);
    await bus.publish(topics['flex/unhandled'], unhandled);
  }

  // Envelopes wait until the calls the journal shows interrupted are answered and their corrs are known to the replay guard.
  let recovery: Promise<void> | undefined;
  const recover = (): Promise<void> =>
    (recovery ??= journal
      ? recoverJournal(journal, {
          guard,
          maxAgeMs: options.maxAgeMs ?? 60_000,
          now,
          reply: (corr, intent, error) => reply(corr, intent, { ack: true, error }),
          onError: options.onError,
        })
          .then((count) => options.onRecovered?.(count))
          .catch(options.onError)
      : Promise.resolve());
  let startRecovery: () => void = () => undefined;
  const recovered = options.deferRecovery ? new Promise<void>((resolve) => (startRecovery = () => resolve(recover()))) : recover();
  /** Envelopes being handled (a refusal on its way, a call being journaled), so close waits for their replies too. */
  const handling = new Set<Promise<void>>();
  const subscription: Subscription = bus.subscribe(topics['flex/envelope'], (envelope, delivery) => {
    const handled = recovered.then(() => handle(envelope, delivery)).catch(options.onError);
    handling.add(handled);
    void handled.finally(() => handling.delete(handled));
    return handled;
  });
  return {
    ready: Promise.all([subscription.ready, options.deferRecovery ? undefined : recovered]).then(() => undefined),
    recover() {
      startRecovery();
      return recovered;
    },
    get inFlight() {
      return pending.size;
    },
    async close() {
      subscription.unsubscribe();
      for (const stop of [...progressStops]) stop();
      await Promise.all(handling);
      await Promise.all(pending);
    },
  };
}

/**
 * A sender as the replay defence and the policy know it on a NetworkBus: `user NAME` when the session's
 * link proved a user, else `peer NAME` (the endpoint name it gave, so a reconnect is the same sender),
 * else `session ID`. One map lookup per envelope.
 */
export function networkPeerSender(bus: NetworkBus): (delivery: Delivery<FlexEnvelope>) => string {
  return (delivery) => {
    const peer = bus.sessionPeer(delivery.sessionId);
    if (peer?.user !== undefined) return `user ${peer.user}`;
    return peer ? `peer ${peer.name}` : `session ${delivery.sessionId}`;
  };
}

/** An error's message, for a report that wraps it. */
function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
