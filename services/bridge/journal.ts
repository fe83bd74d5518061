import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The bridge's journal: `<dir>/<corr>-req.json` before the ack, `<corr>-res.json` after the final reply.
 * Each file is written whole or not at all (a temporary file renamed over the name). What is written is
 * what the caller passes: the bridge passes envelopes and replies, never request headers.
 */
export class FlexJournal {
  private ready: Promise<unknown> | undefined;

  constructor(readonly dir: string) {}

  /** The file of `corr`'s `part`; every character outside [A-Za-z0-9_-] is escaped, so no corr leaves `dir`. */
  fileOf(corr: string, part: 'req' | 'res'): string {
    return join(this.dir, `${journalName(corr)}-${part}.json`);
  }

  async write(corr: string, part: 'req' | 'res', record: unknown): Promise<void> {
    // A failed mkdir is tried again at the next write: the operator may fix the directory meanwhile.
    this.ready ??= mkdir(this.dir, { recursive: true }).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    await this.ready;
    const file = this.fileOf(corr, part);
    const temporary = join(this.dir, `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`, { flag: 'wx' });
      await rename(temporary, file);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
  }
}

/** `corr` as a file name: characters other than [A-Za-z0-9_-] as `%XX` (UTF-8), so `.`, `..` and `/` cannot appear. */
export function journalName(corr: string): string {
  return Array.from(new TextEncoder().encode(corr), (b) =>
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
  ).join('');
}
