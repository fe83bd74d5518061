/**
 * The idempotency keys `midl send` gives exactly-once messages, and the lines it writes for `--failed`.
 * A line's key is derived from the topic address, the line's text and its occurrence among identical
 * lines of the file, so the same file sent again — after either side crashed — gives every message
 * the key it had, and the peer delivers each once. `--failed` keeps that true for its file: a line
 * that was the k-th copy of its text is written with the k − 1 copies before it (the peer already has
 * those it acknowledged, and drops them), so that it is the k-th copy again.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { PayloadSource } from './payloads.ts';

/** A u64 key from the first 8 bytes of a digest; never 0, which means "no key". */
function keyOf(digest: Buffer): bigint {
  const k = digest.readBigUInt64BE(0);
  return k === 0n ? 1n : k;
}

/** A fresh random key (`send --json` without `--key`). */
export function randomKey(): bigint {
  return keyOf(randomBytes(8));
}

/** The key of each line: SHA-256 over the address, the occurrence number and the text. */
export function keysOfLines(address: string, lines: readonly Pick<PayloadSource, 'text'>[]): bigint[] {
  const occurrences = new Map<string, number>();
  return lines.map(({ text }) => {
    const n = (occurrences.get(text) ?? 0) + 1;
    occurrences.set(text, n);
    return keyOf(createHash('sha256').update(`midl send\0${address}\0${n}\0`).update(text).digest());
  });
}

/**
 * The lines to write for `--failed`, in input order: every undelivered one and, for exactly-once
 * messages, the earlier identical lines each needs to keep its key (`earlier` of them).
 */
export function linesToResend(
  lines: readonly Pick<PayloadSource, 'text'>[],
  undelivered: readonly number[],
  exactlyOnce: boolean,
): { lines: string[]; earlier: number } {
  const chosen = new Set(undelivered);
  let earlier = 0;
  if (exactlyOnce) {
    // The highest undelivered occurrence of each text: every copy up to it is written.
    const occurrence: number[] = [];
    const counts = new Map<string, number>();
    for (const { text } of lines) {
      const n = (counts.get(text) ?? 0) + 1;
      counts.set(text, n);
      occurrence.push(n);
    }
    const upTo = new Map<string, number>();
    for (const i of undelivered) upTo.set(lines[i]!.text, Math.max(upTo.get(lines[i]!.text) ?? 0, occurrence[i]!));
    lines.forEach(({ text }, i) => {
      if (!chosen.has(i) && occurrence[i]! <= (upTo.get(text) ?? 0)) {
        chosen.add(i);
        earlier++;
      }
    });
  }
  return { lines: [...chosen].sort((a, b) => a - b).map((i) => lines[i]!.text), earlier };
}
