import { createTwoFilesPatch } from 'diff';
import { canonicalJson } from '../../runtime/store/index.ts';
import type { Change, ChangeAction } from './publish-plan.ts';
import type { DocumentKind } from './documents.ts';

/**
 * Bounds of a dry run's diff: lines shown per document, characters per line; and of the search, which
 * costs the texts' length times the edit distance: the distance, the time, and the text diffed at all.
 */
const MAX_DIFF_LINES = 40;
const MAX_LINE_CHARS = 160;
const MAX_EDIT_LENGTH = 2000;
const DIFF_TIMEOUT_MS = 1000;
const MAX_DIFFED_CHARS = 1 << 20;

const MARK: Readonly<Record<ChangeAction, string>> = { create: '+', change: '~', unchanged: '=', remove: '-' };
const WORD: Readonly<Record<ChangeAction, string>> = { create: 'created', change: 'changed', unchanged: 'unchanged', remove: 'removed' };

const where = (c: Change) => `${c.corpus}/${c.collection}/${c.id}`;

/** A dry run's report: one line per document (`+ created`, `~ changed` with a bounded unified diff, `= unchanged`, `- removed`). */
export function dryRunReport(changes: readonly Change[]): string {
  const lines: string[] = [];
  for (const c of changes) {
    lines.push(`${MARK[c.action]} ${WORD[c.action]} ${where(c)}`);
    if (c.action === 'change') lines.push(...boundedDiff(c));
  }
  return `${lines.join('\n')}\n${summary(changes, 'would be')}`;
}

/** What a run did, one line per kind of document: `schema: 7 (2 created, 5 unchanged)`. */
export function summary(changes: readonly Change[], verb = ''): string {
  const byKind = new Map<DocumentKind, Map<ChangeAction, number>>();
  for (const c of changes) {
    const counts = byKind.get(c.kind) ?? new Map<ChangeAction, number>();
    counts.set(c.action, (counts.get(c.action) ?? 0) + 1);
    byKind.set(c.kind, counts);
  }
  const lines: string[] = [];
  for (const [kind, counts] of byKind) {
    const total = [...counts].filter(([a]) => a !== 'remove').reduce((n, [, k]) => n + k, 0);
    const parts = (['create', 'change', 'unchanged', 'remove'] as const)
      .filter((a) => counts.has(a))
      .map((a) => `${counts.get(a)} ${verb ? `${verb} ` : ''}${WORD[a]}`);
    lines.push(`${kind}: ${total} (${parts.join(', ')})`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A unified diff of a changed document: of the file's text for a generated file (its content is one
 * JSON string), of the canonical JSON otherwise. The search is bounded (MAX_EDIT_LENGTH) and so is
 * what is printed, whatever the store held.
 */
function boundedDiff(c: Change): string[] {
  const text = (v: unknown) =>
    c.kind === 'generated' && v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string'
      ? (v as { content: string }).content
      : canonicalJson(v as never);
  const [before, after] = [text(c.before!.value), text(c.value)];
  if (before.length > MAX_DIFFED_CHARS || after.length > MAX_DIFFED_CHARS)
    return [`    (${before.length} characters stored, ${after.length} here: too large to diff)`];
  const patch = createTwoFilesPatch(`stored/${where(c)}`, `local/${where(c)}`, before, after, undefined, undefined, {
    context: 2,
    maxEditLength: MAX_EDIT_LENGTH,
    timeout: DIFF_TIMEOUT_MS,
  });
  if (patch === undefined) return [`    (more than ${MAX_EDIT_LENGTH} lines differ, or too slow to diff: no diff shown)`];
  const lines = patch.split('\n').slice(1, -1);
  const shown = lines.slice(0, MAX_DIFF_LINES).map((l) => `    ${l.length > MAX_LINE_CHARS ? `${l.slice(0, MAX_LINE_CHARS)}…` : l}`);
  if (lines.length > MAX_DIFF_LINES) shown.push(`    … ${lines.length - MAX_DIFF_LINES} more diff lines`);
  return shown;
}
