/**
 * Who gets a session slot on an endpoint that requires authentication (a shared secret, users, or
 * both): only a peer that proved it knows the secret or a user's password. The challenge nonce is not
 * kept per invitation but derived (HMAC of a key of this endpoint's, the peer's address, the time
 * window and the try number), so an invitation costs the
 * endpoint no slot and no state it has to keep: the digest is checked against the nonces the peer
 * could have been sent, and only a right one opens a session. What is kept per invitation (the peer's
 * name and Product Instance Id, its wrong tries) is a bounded map that flooding can only evict from,
 * never fill in a way that keeps anyone out.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { NONCE_BYTES } from './commands.ts';

export interface AuthGateOptions {
  /** How long a challenge stays answerable: between one and two windows (the handshake timeout). */
  readonly windowMs: number;
  /** Wrong digests from one address before it is refused (Bye 0x43, or 0x44 for an unknown user). */
  readonly maxTries: number;
  /** Invitations whose name and tries are remembered at once (oldest forgotten first). */
  readonly maxPending: number;
}

interface Pending {
  readonly name: string;
  readonly productInstanceId: string;
  tries: number;
  readonly since: number;
}

export type AuthVerdict =
  | { readonly kind: 'accepted'; readonly nonce: Uint8Array; readonly name: string; readonly productInstanceId: string }
  | { readonly kind: 'retry'; readonly nonce: Uint8Array }
  | { readonly kind: 'failed' };

export class AuthGate {
  private readonly key = randomBytes(32);
  private readonly pending = new Map<string, Pending>();
  /**
   * Sessions an address has opened by a right digest, and in which window the last was: part of every
   * nonce it is sent, so a recorded digest cannot open a second session, while the same address may
   * authenticate again at once with a fresh challenge. Only a peer with the secret or a password adds an entry.
   */
  private readonly generations = new Map<string, { readonly count: number; readonly window: number }>();

  constructor(private readonly options: AuthGateOptions) {}

  /** Invitations remembered now (at most `maxPending`). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** An Invitation from `from`: the nonce to challenge it with, and whether it is a retry (state 1). */
  challenge(from: string, name: string, productInstanceId: string, now: number): { nonce: Uint8Array; retry: boolean } {
    const known = this.pending.get(from);
    const tries = known?.tries ?? 0;
    this.remember(from, { name, productInstanceId, tries, since: known?.since ?? now });
    return { nonce: this.nonce(from, this.window(now), tries), retry: tries > 0 };
  }

  /**
   * An Invitation with (User) Authentication from `from` (no session yet): whether it `proves` it
   * answers a challenge `from` was sent (`proves` checks its digest against one nonce).
   */
  answer(from: string, proves: (nonce: Uint8Array) => boolean, now: number): AuthVerdict {
    const window = this.window(now);
    this.forgetGenerationsBefore(window - 1);
    for (const w of [window, window - 1]) {
      for (let attempt = 0; attempt < this.options.maxTries; attempt++) {
        const nonce = this.nonce(from, w, attempt);
        if (!proves(nonce)) continue;
        this.generations.set(from, { count: this.generation(from) + 1, window });
        const p = this.pending.get(from);
        this.pending.delete(from);
        return { kind: 'accepted', nonce, name: p?.name ?? '', productInstanceId: p?.productInstanceId ?? '' };
      }
    }
    const p = this.pending.get(from) ?? { name: '', productInstanceId: '', tries: 0, since: now };
    p.tries++;
    if (p.tries >= this.options.maxTries) {
      this.pending.delete(from);
      return { kind: 'failed' };
    }
    this.remember(from, p);
    return { kind: 'retry', nonce: this.nonce(from, window, p.tries) };
  }

  /** Forgets invitations older than two windows (their challenges can no longer be answered). */
  expire(now: number): void {
    const oldest = now - 2 * this.options.windowMs;
    for (const [from, p] of this.pending) if (p.since < oldest) this.pending.delete(from);
  }

  private remember(from: string, p: Pending): void {
    this.pending.delete(from);
    this.pending.set(from, p);
    if (this.pending.size > this.options.maxPending) this.pending.delete(this.pending.keys().next().value!);
  }

  private window(now: number): number {
    return Math.floor(now / this.options.windowMs);
  }

  private nonce(from: string, window: number, attempt: number): Uint8Array {
    const mac = createHmac('sha256', this.key)
      .update(`${window}|${attempt}|${this.generation(from)}|${from}`)
      .digest();
    return new Uint8Array(mac.subarray(0, NONCE_BYTES));
  }

  private generation(from: string): number {
    return this.generations.get(from)?.count ?? 0;
  }

  /** An address whose last session opened two windows ago or earlier: no challenge of that generation is answerable any more. */
  private forgetGenerationsBefore(window: number): void {
    for (const [from, g] of this.generations) if (g.window < window) this.generations.delete(from);
  }
}
