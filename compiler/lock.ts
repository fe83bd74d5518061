import { readFileSync } from 'node:fs';
import { parseJsonStrict } from '../runtime/index.ts';
import type { IrProgram } from './ir/ir.ts';

/** {lockVersion, programs: {name: {capabilities|topics: {name: number}}}} nests three levels. */
const LOCK_MAX_DEPTH = 8;

/**
 * midl.lock pins what must never move once published: capability bits (so adding a capability never
 * shifts another, and a retired bit is never handed out again) and topic ids (so a rename is visible
 * in review). One section per program (midl.yaml input entry).
 */
export interface ProgramLock {
  readonly capabilities: Readonly<Record<string, number>>;
  readonly topics: Readonly<Record<string, number>>;
}

export interface LockFile {
  readonly lockVersion: 1;
  readonly programs: Readonly<Record<string, ProgramLock>>;
}

export class LockError extends Error {
  override readonly name = 'LockError';
}

export const EMPTY_LOCK: LockFile = { lockVersion: 1, programs: {} };

export function readLock(path: string): LockFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_LOCK;
    throw new LockError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    // Strict: a name twice in the lock (a merge gone wrong) would silently keep one of its ids.
    raw = parseJsonStrict(text, LOCK_MAX_DEPTH);
  } catch (err) {
    throw new LockError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const lock = (typeof raw === 'object' && raw !== null ? raw : {}) as { lockVersion?: unknown; programs?: unknown };
  if (lock.lockVersion !== 1 || typeof lock.programs !== 'object' || lock.programs === null)
    throw new LockError(`${path}: expected {"lockVersion": 1, "programs": {…}}`);
  for (const [name, p] of Object.entries(lock.programs)) {
    for (const section of ['capabilities', 'topics'] as const) {
      const entries = typeof p === 'object' && p !== null ? (p as Partial<Record<typeof section, unknown>>)[section] : undefined;
      if (typeof entries !== 'object' || entries === null || !Object.values(entries).every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
        throw new LockError(`${path}: programs.${name}.${section} must map names to non-negative integers`);
      }
    }
  }
  return lock as LockFile;
}

/** The lock after generating `ir`: entries for everything in the program, retired capabilities kept. */
export function updatedProgramLock(prior: ProgramLock | undefined, ir: IrProgram): ProgramLock {
  const capabilities: Record<string, number> = { ...(prior?.capabilities ?? {}) };
  for (const c of ir.capabilities) capabilities[c.name] = c.bit;
  const topics: Record<string, number> = {};
  for (const t of ir.topics) topics[t.address] = t.id;
  return { capabilities: sortKeys(capabilities), topics: sortKeys(topics) };
}

/**
 * `ir` as it stands once `updatedProgramLock(…, ir)` is written: every bit assigned in this run is the
 * lock's from then on. Generating from this, the first `midl gen` writes what the next one (and `gen
 * --check`) writes too; generating from `ir` itself, the README said `assigned` and then `lock`.
 */
export function asRecordedInLock(ir: IrProgram): IrProgram {
  if (!ir.capabilities.some((c) => c.bitSource === 'assigned')) return ir;
  return { ...ir, capabilities: ir.capabilities.map((c) => (c.bitSource === 'assigned' ? { ...c, bitSource: 'lock' } : c)) };
}

/** Topics recorded in the lock that the program no longer has (removed or renamed). */
export function vanishedTopics(prior: ProgramLock | undefined, ir: IrProgram): string[] {
  const now = new Set(ir.topics.map((t) => t.address));
  return Object.keys(prior?.topics ?? {}).filter((a) => !now.has(a));
}

export function serializeLock(lock: LockFile): string {
  const programs: Record<string, ProgramLock> = {};
  for (const name of Object.keys(lock.programs).sort()) programs[name] = lock.programs[name]!;
  return JSON.stringify({ lockVersion: 1, programs }, null, 2) + '\n';
}

function sortKeys<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
