import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Largest journal file read back at start; the bridge writes envelopes of at most 64 KiB. */
const MAX_RECORD_BYTES = 1024 * 1024;

/** A `<corr>-req.json` found at start, with its `-res.json` if there is one. */
export interface JournaledRequest {
  readonly corr: string;
  /** The file, for messages. */
  readonly file: string;
  /** Its modification time, milliseconds since the epoch. */
  readonly mtimeMs: number;
  /** False: the bridge stopped while the call was in flight. */
  readonly answered: boolean;
}

/**
 * The bridge's journal: `<dir>/<sender>/<corr>-req.json` before the ack, `<corr>-res.json` after the
 * final reply, so two senders' same corr never share a file. Each file is written whole or not at all
 * and is on disk before `write` resolves: a temporary file is synced, renamed over the name, and the
 * directory synced. What is written is what the caller passes: the bridge passes envelopes and
 * replies, never request headers.
 */
export class FlexJournal {
  /** Sender directories known to exist (created and their parent synced). */
  private readonly made = new Map<string, Promise<void>>();

  constructor(readonly dir: string) {}

  /** The directory of `sender`'s files. */
  senderDir(sender: string): string {
    return join(this.dir, senderDirName(sender));
  }

  /** The file of `corr`'s `part`; every character outside [A-Za-z0-9_-] is escaped, so no corr leaves its directory. */
  fileOf(sender: string, corr: string, part: 'req' | 'res'): string {
    return join(this.senderDir(sender), `${journalName(corr)}-${part}.json`);
  }

  async write(sender: string, corr: string, part: 'req' | 'res', record: unknown): Promise<void> {
    const dir = this.senderDir(sender);
    await this.makeDir(dir);
    await writeSynced(dir, this.fileOf(sender, corr, part), record);
  }

  /** Writes the `-res.json` beside a request found by `requests`, wherever it lies. */
  async answer(request: JournaledRequest, record: unknown): Promise<void> {
    await writeSynced(dirname(request.file), request.file.replace(/-req\.json$/, '-res.json'), record);
  }

  /** Creates `dir` and syncs the journal directory that names it; a failure is tried again at the next write. */
  private makeDir(dir: string): Promise<void> {
    let made = this.made.get(dir);
    if (!made) {
      made = (async () => {
        await mkdir(dir, { recursive: true });
        await syncDir(this.dir);
      })().catch((err: unknown) => {
        this.made.delete(dir);
        throw err;
      });
      this.made.set(dir, made);
    }
    return made;
  }

  /**
   * Every `<corr>-req.json` of every sender directory (and of the journal directory itself, the
   * layout before sender directories), and the `-req.json` names no corr escapes to (not written by a bridge).
   * No journal directory yet is an empty journal.
   */
  async requests(): Promise<{ requests: JournaledRequest[]; foreign: string[] }> {
    let top: string[];
    try {
      top = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { requests: [], foreign: [] };
      throw err;
    }
    const dirs = [this.dir];
    for (const name of top) if (!name.startsWith('.') && (await stat(join(this.dir, name))).isDirectory()) dirs.push(join(this.dir, name));
    const out: JournaledRequest[] = [];
    const foreign: string[] = [];
    for (const dir of dirs) {
      const names = new Set(await readdir(dir));
      for (const name of names) {
        const m = /^(.+)-req\.json$/.exec(name);
        if (!m) continue;
        const file = join(dir, name);
        const corr = corrOf(m[1]!);
        if (corr === undefined) {
          foreign.push(file);
          continue;
        }
        out.push({ corr, file, mtimeMs: (await stat(file)).mtimeMs, answered: names.has(`${m[1]!}-res.json`) });
      }
    }
    return { requests: out, foreign };
  }

  /** A journal file's JSON, refusing one over 1 MiB (the bridge never writes one). */
  async read(file: string): Promise<unknown> {
    const size = (await stat(file)).size;
    if (size > MAX_RECORD_BYTES) throw new Error(`${file}: ${size} bytes, more than a journal record can be`);
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  }
}

/** `record` as `file` in `dir`, whole or not at all, on disk when this resolves (temporary file synced, renamed, directory synced). */
async function writeSynced(dir: string, file: string, record: unknown): Promise<void> {
  const temporary = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/** Syncs a directory, so a rename or a new entry in it survives a crash. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A sender as a directory name: escaped as a corr is; a long one (a file name holds 255 bytes) keeps
 * its first 64 escaped characters and adds a hash of the whole, so two long senders never share one.
 */
export function senderDirName(sender: string): string {
  const escaped = journalName(sender);
  if (escaped.length <= 128) return escaped;
  return `${escaped.slice(0, 64)}~${createHash('sha256').update(sender).digest('hex').slice(0, 32)}`;
}

/** `corr` as a file name: characters other than [A-Za-z0-9_-] as `%XX` (UTF-8), so `.`, `..` and `/` cannot appear. */
export function journalName(corr: string): string {
  return Array.from(new TextEncoder().encode(corr), (b) =>
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
  ).join('');
}

/** The corr a journal file name stands for, or undefined for a name `journalName` cannot have made. */
function corrOf(name: string): string | undefined {
  if (!/^(?:[A-Za-z0-9_-]|%[0-9A-F]{2})+$/.test(name)) return undefined;
  const bytes = name.match(/%[0-9A-F]{2}|[^%]/g)!.map((t) => (t.length === 3 ? parseInt(t.slice(1), 16) : t.charCodeAt(0)));
  const text = new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(bytes));
  // Escapes that are not UTF-8 decode to U+FFFD and do not name back: not a name the journal wrote.
  return journalName(text) === name ? text : undefined;
}
