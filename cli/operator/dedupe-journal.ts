/**
 * A recording as the journal of `peer`'s exactly-once window: the `"dedupe"` identities of the
 * messages it holds, read back when `peer --record FILE` starts again, so that a message recorded
 * before a crash is acknowledged but not recorded twice when it is sent again. Streams the file (a
 * recording can be far larger than memory) and keeps only the last `window` identities.
 */
import { createReadStream, readSync, openSync, closeSync, fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { isDedupeIdentity } from '../../runtime/index.ts';

export interface Journal {
  /** Identities of the recording, oldest first: at most `window` of them, the most recent. */
  readonly seen: readonly string[];
  /** Lines read. */
  readonly lines: number;
  /** Lines that are not JSON objects (say, a write cut short by a full disk): `file:line` of each, at most 20. */
  readonly unreadable: readonly string[];
  readonly unreadableCount: number;
}

/** Reads the identities of `file` (an empty journal when it does not exist yet). */
export async function readDedupeJournal(file: string, window: number): Promise<Journal> {
  const seen: string[] = [];
  const unreadable: string[] = [];
  let unreadableCount = 0;
  let lines = 0;
  let input: ReturnType<typeof createReadStream>;
  try {
    input = createReadStream(file, { encoding: 'utf8' });
    await new Promise<void>((ready, fail) => {
      input.once('open', () => ready());
      input.once('error', fail);
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { seen, lines, unreadable, unreadableCount };
    throw err;
  }
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    lines++;
    if (text.trim() === '') continue;
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch {
      line = undefined;
    }
    if (line === null || typeof line !== 'object' || Array.isArray(line)) {
      unreadableCount++;
      if (unreadable.length < 20) unreadable.push(`${file}:${lines}`);
      continue;
    }
    const id = (line as { dedupe?: unknown }).dedupe;
    if (id === undefined) continue;
    if (!isDedupeIdentity(id)) {
      unreadableCount++;
      if (unreadable.length < 20) unreadable.push(`${file}:${lines}`);
      continue;
    }
    seen.push(id);
    // Amortised: trim once the list is twice the window, so memory stays within 2 × window identities.
    if (seen.length >= 2 * window) seen.splice(0, seen.length - window);
  }
  return { seen: seen.length > window ? seen.slice(seen.length - window) : seen, lines, unreadable, unreadableCount };
}

/**
 * Whether `file` ends inside a line: a write cut short. The caller starts its first record on a new
 * line then, so that the cut line stays one unreadable line and the next record is whole.
 */
export function fileEndsMidLine(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    const last = Buffer.alloc(1);
    return size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}
