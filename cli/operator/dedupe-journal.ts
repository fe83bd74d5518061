/**
 * A recording as the journal of `peer`'s exactly-once window: the `"dedupe"` identities of the
 * messages it holds, read back when `peer --record FILE` starts again, so that a message recorded
 * before a crash is acknowledged but not recorded twice when it is sent again. Streams the file (a
 * recording can be far larger than memory) and keeps only the last `window` identities.
 */
import { closeSync, createReadStream, fstatSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
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
 * Opens `file` for appending (created if missing). When it ends inside a line — a write cut short by a
 * kill — a newline is written first, so that the cut line stays one unreadable line and the next
 * record is whole.
 */
export function openAppending(file: string): number {
  const fd = openSync(file, 'a+');
  const size = fstatSync(fd).size;
  const last = Buffer.alloc(1);
  if (size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) writeSync(fd, '\n');
  return fd;
}

/** The files of a `--state DIR` journal: the identities being written, and the previous generation. */
export const STATE_JOURNAL = 'exactly-once.jsonl';
export const STATE_JOURNAL_PREVIOUS = 'exactly-once.1.jsonl';

/**
 * `peer --state DIR`: the exactly-once window's own journal, for a peer that keeps no recording (or a
 * recording elsewhere). One `{"dedupe":"…"}` line per keyed exactly-once message, written before it is
 * acknowledged. Bounded on disk: once the current file holds `window` identities it becomes the
 * previous generation (an atomic rename, replacing the older one) and a new file starts, so the two
 * files always hold at least the last `window` identities and at most 2 × `window`.
 */
export class StateJournal {
  private fd: number;

  private constructor(
    private readonly dir: string,
    private readonly window: number,
    /** Identities in the current file. */
    private count: number,
    readonly seen: readonly string[],
    readonly unreadable: readonly string[],
    readonly unreadableCount: number,
  ) {
    this.fd = openAppending(join(dir, STATE_JOURNAL));
  }

  static async open(dir: string, window: number): Promise<StateJournal> {
    mkdirSync(dir, { recursive: true });
    const previous = await readDedupeJournal(join(dir, STATE_JOURNAL_PREVIOUS), window);
    const current = await readDedupeJournal(join(dir, STATE_JOURNAL), window);
    const seen = [...previous.seen, ...current.seen];
    return new StateJournal(
      dir,
      window,
      current.seen.length,
      seen.length > window ? seen.slice(seen.length - window) : seen,
      [...previous.unreadable, ...current.unreadable].slice(0, 20),
      previous.unreadableCount + current.unreadableCount,
    );
  }

  /** Records a delivered identity (synchronously: it is in the kernel before the message is acknowledged). */
  append(id: string): void {
    if (this.count >= this.window) {
      closeSync(this.fd);
      renameSync(join(this.dir, STATE_JOURNAL), join(this.dir, STATE_JOURNAL_PREVIOUS));
      this.fd = openAppending(join(this.dir, STATE_JOURNAL));
      this.count = 0;
    }
    writeSync(this.fd, `${JSON.stringify({ dedupe: id })}\n`);
    this.count++;
  }

  close(): void {
    closeSync(this.fd);
  }
}
