/**
 * Bounded reassembly of chunked Property Exchange messages, keyed by source MUID and request id.
 *
 * Chunks must arrive in order (1, 2, … numChunks), as MIDI-CI sends them; a chunk out of order, a
 * repeated chunk, a changed numChunks or message kind, or a header after the first chunk is refused
 * and drops the partial request (the receiver may NAK it, 0x21 "PE chunks out of sequence"). Limits:
 * open requests, chunks per request, body bytes per request, body bytes held in total, and a deadline
 * after each chunk, checked on every `accept` and by `expire`.
 */
import { CiError, CiErrorCode as E } from './errors.ts';
import type { CiPeMessage } from './messages.ts';

export interface PeReassemblyOptions {
  /** Partial requests open at once. Default 16. */
  readonly maxOpen?: number;
  /** Largest numChunks accepted. Default 4096. */
  readonly maxChunks?: number;
  /** Largest body of one request, in bytes as received. Default 4 MiB. */
  readonly maxBodyBytes?: number;
  /** Body bytes held across all partial requests. Default 16 MiB. */
  readonly maxTotalBytes?: number;
  /** A partial request is dropped when no chunk arrives for this long. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Clock in ms (tests inject one). Default `Date.now`. */
  readonly now?: () => number;
}

export const DEFAULT_PE_REASSEMBLY = {
  maxOpen: 16,
  maxChunks: 4096,
  maxBodyBytes: 4 * 1024 * 1024,
  maxTotalBytes: 16 * 1024 * 1024,
  timeoutMs: 10_000,
} as const;

/** A completed PE message: the first chunk's fields, the header and the whole (still encoded) body. */
export interface PeComplete {
  readonly status: 'complete';
  readonly key: string;
  readonly message: CiPeMessage;
  readonly header: Uint8Array;
  readonly body: Uint8Array;
}
export interface PePending {
  readonly status: 'pending';
  readonly key: string;
  readonly received: number;
  readonly numChunks: number;
}

interface Partial {
  readonly first: CiPeMessage;
  readonly parts: Uint8Array[];
  bytes: number;
  deadline: number;
}

export function peKey(m: Pick<CiPeMessage, 'source' | 'requestId'>): string {
  return `${m.source}:${m.requestId}`;
}

export class PeReassembler {
  private readonly open = new Map<string, Partial>();
  private held = 0;
  private timedOutCount = 0;
  private readonly limits: Required<Omit<PeReassemblyOptions, 'now'>>;
  private readonly now: () => number;

  constructor(options: PeReassemblyOptions = {}) {
    this.limits = {
      maxOpen: options.maxOpen ?? DEFAULT_PE_REASSEMBLY.maxOpen,
      maxChunks: options.maxChunks ?? DEFAULT_PE_REASSEMBLY.maxChunks,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_PE_REASSEMBLY.maxBodyBytes,
      maxTotalBytes: options.maxTotalBytes ?? DEFAULT_PE_REASSEMBLY.maxTotalBytes,
      timeoutMs: options.timeoutMs ?? DEFAULT_PE_REASSEMBLY.timeoutMs,
    };
    for (const [name, v] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(v) || v < 1) throw new CiError(E.BadField, `PeReassembler ${name} must be a positive integer, got ${String(v)}`);
    }
    this.now = options.now ?? Date.now;
  }

  /** Partial requests held now. */
  get openCount(): number {
    return this.open.size;
  }

  /** Body bytes held across partial requests now. */
  get heldBytes(): number {
    return this.held;
  }

  /** Partial requests dropped for their deadline so far (by `accept` or `expire`). */
  get timedOut(): number {
    return this.timedOutCount;
  }

  /** Drops partial requests past their deadline; returns a `timeout` error for each. */
  expire(): CiError[] {
    const now = this.now();
    const out: CiError[] = [];
    for (const [key, p] of this.open) {
      if (now >= p.deadline) {
        this.drop(key);
        this.timedOutCount++;
        out.push(
          new CiError(
            E.Timeout,
            `PE request ${key}: no chunk for ${this.limits.timeoutMs} ms after chunk ${p.parts.length} of ${p.first.numChunks}`,
            undefined,
            key,
          ),
        );
      }
    }
    return out;
  }

  /**
   * Takes one chunk. Partials past their deadline are dropped first, so stale requests never hold
   * room a live one needs; they are counted in `timedOut` (call `expire` on a timer to get an error
   * for each instead).
   */
  accept(m: CiPeMessage): PeComplete | PePending | CiError {
    const key = peKey(m);
    const now = this.now();
    for (const [k, stale] of this.open) {
      if (now >= stale.deadline) {
        this.drop(k);
        this.timedOutCount++;
      }
    }
    const p = this.open.get(key);
    const fail = (code: E, why: string): CiError => {
      if (p) this.drop(key);
      return new CiError(code, `PE request ${key}: ${why}`, undefined, key);
    };
    if (m.numChunks < 1) return fail(E.BadField, 'numChunks 0 (unknown length) is not supported');
    if (m.numChunks > this.limits.maxChunks) return fail(E.TooLarge, `numChunks ${m.numChunks} exceeds ${this.limits.maxChunks}`);
    if (m.thisChunk < 1 || m.thisChunk > m.numChunks) return fail(E.BadField, `chunk ${m.thisChunk} is outside 1..${m.numChunks}`);
    if (!p) {
      if (m.thisChunk !== 1) return fail(E.OutOfOrder, `chunk ${m.thisChunk} of ${m.numChunks} without chunk 1`);
      if (m.numChunks === 1) {
        if (m.body.length > this.limits.maxBodyBytes) return fail(E.TooLarge, `body of ${m.body.length} bytes exceeds ${this.limits.maxBodyBytes}`);
        return { status: 'complete', key, message: m, header: m.header, body: m.body };
      }
      if (this.open.size >= this.limits.maxOpen) return fail(E.TooManyOpen, `${this.open.size} PE requests are open already (limit ${this.limits.maxOpen})`);
      const room = this.checkRoom(key, 0, m.body.length);
      if (room) return room;
      this.open.set(key, { first: m, parts: [m.body], bytes: m.body.length, deadline: now + this.limits.timeoutMs });
      this.held += m.body.length;
      return { status: 'pending', key, received: 1, numChunks: m.numChunks };
    }
    const expected = p.parts.length + 1;
    if (m.kind !== p.first.kind) return fail(E.ChunkInconsistent, `chunk ${m.thisChunk} is a ${m.kind}, chunk 1 a ${p.first.kind}`);
    if (m.numChunks !== p.first.numChunks)
      return fail(E.ChunkInconsistent, `chunk ${m.thisChunk} says numChunks ${m.numChunks}, chunk 1 said ${p.first.numChunks}`);
    if (m.thisChunk < expected) return fail(E.DuplicateChunk, `chunk ${m.thisChunk} arrived again (expected ${expected})`);
    if (m.thisChunk > expected) return fail(E.OutOfOrder, `chunk ${m.thisChunk} arrived before chunk ${expected}`);
    if (m.header.length > 0) return fail(E.ChunkInconsistent, `chunk ${m.thisChunk} carries a header; only chunk 1 may`);
    const room = this.checkRoom(key, p.bytes, m.body.length);
    if (room) {
      this.drop(key);
      return room;
    }
    p.parts.push(m.body);
    p.bytes += m.body.length;
    this.held += m.body.length;
    p.deadline = now + this.limits.timeoutMs;
    if (m.thisChunk < m.numChunks) return { status: 'pending', key, received: m.thisChunk, numChunks: m.numChunks };
    this.drop(key);
    const body = new Uint8Array(p.bytes);
    let at = 0;
    for (const part of p.parts) {
      body.set(part, at);
      at += part.length;
    }
    return { status: 'complete', key, message: p.first, header: p.first.header, body };
  }

  private checkRoom(key: string, have: number, adding: number): CiError | null {
    if (have + adding > this.limits.maxBodyBytes) {
      return new CiError(E.TooLarge, `PE request ${key}: body exceeds ${this.limits.maxBodyBytes} bytes`, undefined, key);
    }
    if (this.held + adding > this.limits.maxTotalBytes) {
      return new CiError(E.TooLarge, `PE request ${key}: partial requests would hold more than ${this.limits.maxTotalBytes} bytes`, undefined, key);
    }
    return null;
  }

  private drop(key: string): void {
    const p = this.open.get(key);
    if (!p) return;
    this.held -= p.bytes;
    this.open.delete(key);
  }
}
