/**
 * The Flex bridge's device policy: which intents each sender may send (a whitelist) and how fast (a
 * token bucket per device). A sender is what `networkPeerSender` names: `user NAME` (proven by the
 * link) or `peer NAME` (the endpoint name it gave). The YAML form is read by the CLI
 * (cli/operator/bridge-policy-file.ts); `DeviceGate.admit` is the bridge's `admission` hook.
 */
import type { FlexFailure } from '../../generated/index.ts';
import { flexFailure } from './failures.ts';

/** At most `burst` envelopes at once, refilled at `perSecond`. */
export interface DeviceRate {
  readonly perSecond: number;
  readonly burst: number;
}

export interface DeviceRule {
  /** Intent names a sender may send: exact, `prefix.*` (every intent under `prefix.`) or `*` (all). */
  readonly intents: readonly string[];
  /** None: no limit. */
  readonly rate?: DeviceRate;
}

export interface DevicePolicy {
  /** Rules by sender (`user alice`, `peer footswitch-1`). */
  readonly devices: ReadonlyMap<string, DeviceRule>;
  /**
   * The rule of every sender not listed, each with a bucket of its own. None: a sender not listed is
   * refused INTENT_NOT_ALLOWED whenever `devices` lists anyone; with neither, every sender may send anything.
   */
  readonly default?: DeviceRule;
}

export interface DeviceGateOptions {
  readonly now?: () => number;
  /** How many senders of the default rule keep a bucket (default 4,096; the least recently seen goes first). */
  readonly maxDefaultSenders?: number;
}

/** Whether `pattern` (an exact name, `prefix.*` or `*`) admits the intent `name`. */
export function intentPatternMatches(pattern: string, name: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return name.startsWith(pattern.slice(0, -1)) && name.length > pattern.length - 1;
  return pattern === name;
}

/** A token bucket: `tokens` as of `at` (ms). */
interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Admits or refuses (sender, intent) under a `DevicePolicy`. Memory is bounded: one bucket per listed
 * device with a rate, plus at most `maxDefaultSenders` for the rest (an evicted sender starts again with
 * a full bucket, which is at most `burst` more envelopes for one that went quiet longest).
 */
export class DeviceGate {
  private readonly now: () => number;
  private readonly maxDefault: number;
  private readonly listed = new Map<string, Bucket>();
  /** Buckets of default-rule senders, least recently used first (Map keeps insertion order). */
  private readonly others = new Map<string, Bucket>();

  constructor(
    private readonly policy: DevicePolicy,
    options: DeviceGateOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxDefault = options.maxDefaultSenders ?? 4_096;
    if (!Number.isSafeInteger(this.maxDefault) || this.maxDefault < 1)
      throw new RangeError('DeviceGate: maxDefaultSenders must be a whole number of at least 1');
    for (const [sender, rule] of [...policy.devices, ...(policy.default ? [['default', policy.default] as const] : [])]) {
      const r = rule.rate;
      if (r && !(Number.isFinite(r.perSecond) && r.perSecond > 0 && Number.isSafeInteger(r.burst) && r.burst >= 1))
        throw new RangeError(`DeviceGate: ${sender}: a rate needs perSecond > 0 and a whole burst of at least 1`);
    }
  }

  /** Undefined when `sender` may send `intent` now (a token is taken); else the refusal to answer with. */
  admit(sender: string, intent: string): FlexFailure | undefined {
    const policy = this.policy;
    const listed = policy.devices.get(sender);
    const rule = listed ?? policy.default;
    if (!rule) {
      if (policy.devices.size === 0) return undefined;
      return flexFailure('INTENT_NOT_ALLOWED', `${sender} is not a device of the bridge's policy`);
    }
    // The whitelist first: a refused intent takes no token, and the answer does not say whether it exists.
    if (!rule.intents.some((p) => intentPatternMatches(p, intent))) return flexFailure('INTENT_NOT_ALLOWED', `${sender} may not send ${intent}`);
    if (!rule.rate) return undefined;
    const waitMs = this.take(listed ? this.listed : this.others, sender, rule.rate, listed === undefined);
    return waitMs === 0 ? undefined : flexFailure('BACKPRESSURE', `${sender}: over ${rule.rate.perSecond}/s; retry in ${waitMs} ms`, { retryAfterMs: waitMs });
  }

  /** Senders holding a bucket now (listed and default). */
  get tracked(): number {
    return this.listed.size + this.others.size;
  }

  /** Takes a token from `sender`'s bucket: 0, or the milliseconds until the bucket holds one again. */
  private take(buckets: Map<string, Bucket>, sender: string, rate: DeviceRate, lru: boolean): number {
    const now = this.now();
    let bucket = buckets.get(sender);
    if (!bucket) {
      bucket = { tokens: rate.burst, at: now };
      if (lru && buckets.size >= this.maxDefault) buckets.delete(buckets.keys().next().value!);
    } else if (lru) buckets.delete(sender); // re-inserted below: now the most recently used
    buckets.set(sender, bucket);
    // A clock that steps back refills nothing (and takes nothing back).
    bucket.tokens = Math.min(rate.burst, bucket.tokens + (Math.max(0, now - bucket.at) * rate.perSecond) / 1000);
    bucket.at = Math.max(bucket.at, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - bucket.tokens) * 1000) / rate.perSecond));
  }
}
