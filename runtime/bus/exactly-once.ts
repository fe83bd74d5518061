/**
 * The receiver's window of exactly-once publications already delivered. A publication sent with an
 * idempotency key (`PublishOptions.key`, the envelope's correlation id) has an identity: a digest of
 * the sender's session name, the address, the key and the payload bytes. A copy whose identity is in
 * the window is acknowledged and not delivered again. The payload is part of the identity so that a
 * key reused (by mistake or by a hostile sender) for another message never makes the receiver drop
 * that message: only a byte-identical copy is suppressed.
 *
 * The window holds the last `capacity` identities delivered (oldest forgotten first); a node keeps it
 * across restarts when its caller preloads `seen` (a recording's `dedupe` fields).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { createSha256 } from './sha256.ts';

export interface ExactlyOnceOptions {
  /** Identities remembered (default 65,536; about 150 bytes each). */
  readonly window?: number;
  /** Identities delivered before this node started, oldest first (the last `window` of them are kept). */
  readonly seen?: Iterable<string>;
}

export const DEFAULT_EXACTLY_ONCE_WINDOW = 65_536;

/** What `claim` says about an identity. */
export type Claim =
  /** Not seen: deliver it, then `settle(true)` once delivered (acknowledged) or `settle(false)` when refused. */
  | { readonly state: 'new'; settle(delivered: boolean): void }
  /** Already delivered: acknowledge the copy, do not deliver it. */
  | { readonly state: 'delivered' }
  /** Another copy is being delivered now: answer this one as that one ends (true: delivered). */
  | { readonly state: 'pending'; readonly outcome: Promise<boolean> };

const utf8 = new TextEncoder();

/** The identity of a keyed publication: 32 hex digits of SHA-256 over its length-prefixed parts. */
export function dedupeIdentity(sender: string, address: string, key: bigint, payload: Uint8Array): string {
  const h = createSha256();
  for (const part of [sender, address, key.toString()]) {
    const bytes = utf8.encode(part);
    h.update(lengthPrefix(bytes.length)).update(bytes);
  }
  h.update(lengthPrefix(payload.length)).update(payload);
  return bytesToHex(h.digest()).slice(0, 32);
}

/** `n` as a u32, big-endian. */
function lengthPrefix(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
}

const IDENTITY = /^[0-9a-f]{32}$/;

/** Whether `s` has the form of an identity (for reading a recording back). */
export function isDedupeIdentity(s: unknown): s is string {
  return typeof s === 'string' && IDENTITY.test(s);
}

export class ExactlyOnceWindow {
  /** Insertion order is age: the first entry is the oldest. */
  private readonly delivered = new Set<string>();
  private readonly inProgress = new Map<string, Promise<boolean>>();
  readonly capacity: number;

  constructor(options: ExactlyOnceOptions = {}) {
    const capacity = options.window ?? DEFAULT_EXACTLY_ONCE_WINDOW;
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`exactlyOnce.window must be a whole number ≥ 1, got ${capacity}`);
    this.capacity = capacity;
    for (const id of options.seen ?? []) this.remember(id);
  }

  /** Identities remembered now. */
  get size(): number {
    return this.delivered.size;
  }

  claim(id: string): Claim {
    if (this.delivered.has(id)) return { state: 'delivered' };
    const pending = this.inProgress.get(id);
    if (pending) return { state: 'pending', outcome: pending };
    let resolve!: (delivered: boolean) => void;
    this.inProgress.set(id, new Promise<boolean>((r) => (resolve = r)));
    let settled = false;
    return {
      state: 'new',
      settle: (delivered) => {
        if (settled) return;
        settled = true;
        this.inProgress.delete(id);
        if (delivered) this.remember(id);
        resolve(delivered);
      },
    };
  }

  private remember(id: string): void {
    this.delivered.delete(id);
    this.delivered.add(id);
    if (this.delivered.size > this.capacity) this.delivered.delete(this.delivered.values().next().value!);
  }
}
